import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Unsupported, type DriverFactory, type Side } from '../drivers/types.ts';
import { ensureDataDisk, ensureGuestImage } from '../guest/build.ts';
import { DISK_LAYOUT, GUEST_LAYOUT } from '../guest/layout.ts';
import type { HostProvider } from '../hosts/types.ts';
import type { GuestIdentity, GuestObservation, Observation, SideProgress } from '../observation/types.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import { clockFrom } from '../util/clock.ts';
import { Wakeup } from '../util/deadline.ts';
import { whileRunning } from '../util/cleanup.ts';
import { renderTimeline } from '../reporting/timeline.ts';
import { guestRun, MAIN_GUEST, StepDeadline, StepUnavailable, type GuestRun, type RunContext } from './context.ts';
import { STEP_HANDLERS, sampleStates } from './steps.ts';
import type { Step } from '../scenario/schema.ts';

export interface RunScenarioOptions {
  readonly loaded: LoadedScenario;
  readonly driverFactory: DriverFactory;
  /** Driver options from the command line, over the scenario's own. */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  readonly hostProvider: HostProvider;
  /** A scratch folder for hosts (sockets, dumps); removed by the caller. */
  readonly workDir: string;
  /** Where the observation and its evidence are kept. */
  readonly evidenceDir: string;
  readonly accel: 'auto' | 'kvm' | 'tcg';
  readonly progress: (line: string) => void;
}

/**
 * Plays a scenario and returns what was observed. A wait that runs out ends the scenario
 * early (the observation says where); a harness failure throws. Either way every guest and
 * host is ended before this returns.
 */
export async function runScenario(options: RunScenarioOptions): Promise<Observation> {
  const { scenario } = options.loaded;
  const clock = clockFrom();
  const startedAt = new Date().toISOString();
  const say = (line: string): void => options.progress(`${scenario.name}: ${line}`);
  const hosts = await options.hostProvider.create(
    Object.entries(scenario.hosts).map(([name, settings]) => ({ name, ...settings })),
    options.workDir,
    clock,
  );
  const driver = options.driverFactory({ clock, log: say, options: { ...scenario.driver.options, ...options.driverOptions } });
  const fleet = new Map<string, GuestRun>();
  for (const [key, guest] of [[MAIN_GUEST, scenario.guest] as const, ...Object.entries(scenario.guests)]) {
    const bootImage = await ensureGuestImage(guest.workload);
    const dataDisk = guest.workload === 'diskwalk' ? await ensureDataDisk() : undefined;
    fleet.set(key, {
      key, on: guest.on,
      spec: {
        name: guest.name ?? (key === MAIN_GUEST ? `cutover-${scenario.name}` : `cutover-${scenario.name}-${key}`),
        uuid: guest.uuid ?? randomUUID(),
        emulator: guest.emulator,
        ...((guest.sharedMemory || guest.cpr) && { sharedMemory: true }),
        ...(guest.cpr && { cpr: true }),
        ...(dataDisk !== undefined && { dataDisk }),
        bootImage,
        memoryMiB: Math.max(guest.memoryMiB, GUEST_LAYOUT.memoryMiB),
        accel: options.accel,
        ...(guest.spice && { spice: true }),
        ...(guest.machine !== undefined && { machine: guest.machine }),
      },
      sides: {}, serial: {}, events: [], eventArrived: new Wakeup(), states: [], memory: {}, disks: {}, exits: {}, relays: [],
    });
  }
  const ctx: RunContext = {
    scenario, driver, clock, progress: say, fleet,
    hosts: new Map(hosts.map((h) => [h.name, h])),
    steps: [], daemons: [], calls: [], faults: [], spice: [], inventories: [], triggers: [], evidence: [], background: [],
  };
  // Each event goes to the guest it is about (the main one when the driver does not say).
  const unsubscribe = driver.onEvent((e) => {
    const named = [...fleet.values()].filter((g) => g.spec.name === e.guest);
    const owner = named.find((g) => e.host === undefined || g.sides[e.side]?.host.name === e.host) ?? named[0] ?? fleet.get(MAIN_GUEST);
    owner?.events.push(e);
    owner?.eventArrived.ring();
    if (!owner || e.side !== 'source' || !e.migrationStatus) return;
    const due = ctx.triggers.filter((trigger) => trigger.guest === owner.key && trigger.status === e.migrationStatus);
    for (const trigger of due) {
      ctx.triggers.splice(ctx.triggers.indexOf(trigger), 1);
      trigger.fire();
    }
  });
  const stopEverything = async (): Promise<void> => {
    unsubscribe();
    await Promise.all(ctx.background.splice(0).map((stop) => stop().catch(() => undefined)));
    await driver.close().catch(() => undefined);
    await Promise.all(hosts.map((h) => h.close().catch(() => undefined)));
    for (const guest of fleet.values()) await Promise.all(Object.values(guest.serial).map((s) => s?.close().catch(() => undefined)));
  };
  // Registered for Ctrl-C and a dying parent too, not only for the normal end.
  return whileRunning(stopEverything, () => playAndCollect(ctx, options, startedAt).finally(stopEverything));
}

async function playAndCollect(ctx: RunContext, options: RunScenarioOptions, startedAt: string): Promise<Observation> {
  const description = await ctx.driver.describe();
  await playSteps(ctx, ctx.scenario.steps);
  await sampleStates(ctx);
  await Promise.all(ctx.background.splice(0).map((stop) => stop()));
  for (const guest of ctx.fleet.values()) {
    const final = await guest.job?.info().catch(() => undefined);
    if (guest.migration && final) guest.migration = { ...guest.migration, final };
  }
  return collect(ctx, options, { startedAt, description, durationMs: ctx.clock() });
}

async function playSteps(ctx: RunContext, steps: ReadonlyArray<Step>): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const startedAt = ctx.clock();
    const handler = STEP_HANDLERS[step.do] as (c: RunContext, s: Step) => Promise<string | void>;
    try {
      const detail = await handler(ctx, step);
      ctx.steps.push({ index, do: step.do, startedAt, endedAt: ctx.clock(), outcome: 'ok', ...(detail ? { detail } : {}) });
      if (detail) ctx.progress(detail);
      await sampleStates(ctx);
    } catch (err) {
      if (!(err instanceof StepDeadline || err instanceof StepUnavailable || err instanceof Unsupported)) throw err;
      // A hang is an observation, not a stuck run: stop here and let the judges decide.
      const outcome = err instanceof StepDeadline ? 'deadline' : err instanceof Unsupported ? 'unsupported' : 'unavailable';
      ctx.steps.push({ index, do: step.do, startedAt, endedAt: ctx.clock(), outcome, detail: err.message });
      ctx.progress(`step ${index} (${step.do}) ${outcome === 'deadline' ? 'ran out of time' : 'could not be done'}: ${err.message}`);
      return;
    }
  }
}

function progressOf(guest: GuestRun, side: Side): SideProgress {
  const marks = guest.serial[side]?.marks ?? [];
  const at = (ch: string): number[] => marks.filter((m) => m.ch === ch).map((m) => m.t);
  return {
    boots: at(GUEST_LAYOUT.bootChar),
    passes: at(GUEST_LAYOUT.passChar),
    ...(guest.spec.dataDisk !== undefined && { diskErrors: at(DISK_LAYOUT.errorChar), zeroReads: at(DISK_LAYOUT.zeroChar), badReads: at(DISK_LAYOUT.badChar) }),
  };
}

async function collect(
  ctx: RunContext,
  options: RunScenarioOptions,
  meta: { startedAt: string; description: Awaited<ReturnType<RunContext['driver']['describe']>>; durationMs: number },
): Promise<Observation> {
  const dir = options.evidenceDir;
  await mkdir(dir, { recursive: true });
  const evidence: Array<{ label: string; path: string }> = [];
  const main = guestRun(ctx);
  for (const guest of ctx.fleet.values()) {
    for (const side of ['source', 'destination'] as const) {
      const marks = guest.serial[side]?.marks ?? [];
      if (!marks.length) continue;
      const file = guest.key === MAIN_GUEST ? `serial-${side}.tsv` : `serial-${guest.key}-${side}.tsv`;
      await writeFile(join(dir, file), 't_ms\tchar\n' + marks.map((m) => `${m.t.toFixed(3)}\t${m.ch}`).join('\n') + '\n');
      evidence.push({ label: `Serial timing (${guest.key === MAIN_GUEST ? '' : `${guest.key}, `}${side})`, path: file });
    }
  }
  // Exits up to now are the scenario's; the teardown's kills that follow are not.
  const exits = { ...main.exits };
  // The driver's own files (transcripts, emulator output) are copied once its guests ended.
  await ctx.driver.close().catch(() => undefined);
  for (const guest of ctx.fleet.values()) {
    for (const side of ['source', 'destination'] as const) {
      const handle = guest.sides[side];
      if (!handle) continue;
      for (const file of handle.evidence()) {
        const name = basename(file.path);
        if (evidence.some((e) => e.path === name)) continue;
        if (await copyFile(file.path, join(dir, name)).then(() => true, () => false)) evidence.push({ label: file.label, path: name });
      }
    }
  }
  for (const host of ctx.hosts.values()) {
    for (const file of [...(await host.collectLogs().catch(() => [])), ...ctx.evidence.filter((e) => e.path.startsWith(host.workDir))]) {
      const name = basename(file.path);
      if (await copyFile(file.path, join(dir, name)).then(() => true, () => false)) evidence.push({ label: file.label, path: name });
    }
  }
  const others: Record<string, GuestObservation> = {};
  for (const guest of ctx.fleet.values()) {
    if (guest === main) continue;
    others[guest.key] = {
      spec: identityOf(guest),
      events: guest.events, states: guest.states,
      progress: { source: progressOf(guest, 'source'), destination: progressOf(guest, 'destination') },
      ...(guest.migration && { migration: guest.migration }),
      memory: guest.memory,
    };
  }
  const observation: Observation = {
    scenario: { name: ctx.scenario.name, file: options.loaded.file, judges: ctx.scenario.judges },
    driver: { name: ctx.driver.name, versions: { ...meta.description.versions, ...emulatorVersions(main) }, ...accelerator(ctx) },
    hostKind: options.hostProvider.kind,
    hosts: Object.fromEntries(
      [...ctx.hosts.values()].map((h) => {
        const { description: _text, ...settings } = ctx.scenario.hosts[h.name] ?? {};
        return [h.name, { kind: h.kind, address: h.address, description: h.description, settings }];
      }),
    ),
    startedAt: meta.startedAt,
    durationMs: meta.durationMs,
    steps: ctx.steps,
    events: main.events,
    states: main.states,
    progress: { source: progressOf(main, 'source'), destination: progressOf(main, 'destination') },
    ...(main.migration && { migration: main.migration }),
    memory: main.memory,
    disks: main.disks,
    guest: identityOf(main),
    inventories: ctx.inventories,
    exits,
    guests: others,
    daemons: ctx.daemons,
    calls: ctx.calls,
    faults: ctx.faults,
    spice: ctx.spice,
    ...(ctx.deadlock && { deadlock: ctx.deadlock }),
    evidence: [...evidence, { label: 'Timeline', path: 'timeline.svg' }, { label: 'Observation', path: 'observation.json' }],
  };
  await writeFile(join(dir, 'timeline.svg'), renderTimeline(observation));
  await writeFile(join(dir, 'observation.json'), JSON.stringify(observation, null, 2));
  return observation;
}

function identityOf(guest: GuestRun): GuestIdentity {
  const emulators: Partial<Record<Side, string>> = {};
  for (const side of ['source', 'destination'] as const) {
    const version = guest.sides[side]?.emulatorVersion;
    if (version) emulators[side] = version;
  }
  return {
    name: guest.spec.name, emulators, memoryMiB: guest.spec.memoryMiB,
    ...(guest.spec.uuid !== undefined && { uuid: guest.spec.uuid }),
    ...(guest.destinationUuid !== undefined && { destinationUuid: guest.destinationUuid }),
  };
}

/**
 * The QEMU versions that really ran the guest, for the certificate: both when source and
 * destination differ (an upgrade), else the one (which may not be the driver's default).
 */
function emulatorVersions(guest: GuestRun): Record<string, string> {
  const { source, destination } = identityOf(guest).emulators;
  if (source && destination && source !== destination) return { 'qemu (source)': source, 'qemu (destination)': destination };
  const only = source ?? destination;
  return only ? { qemu: only } : {};
}

/** The accelerators the guests really ran on, e.g. "kvm" or "kvm, tcg" if they differed. */
function accelerator(ctx: RunContext): { accelerator?: string } {
  const seen = new Set<string>();
  for (const guest of ctx.fleet.values()) for (const h of Object.values(guest.sides)) if (h?.accelerator) seen.add(h.accelerator);
  return seen.size ? { accelerator: [...seen].join(', ') } : {};
}
