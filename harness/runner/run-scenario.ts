import { randomUUID } from 'node:crypto';
import { Unsupported, type Driver, type DriverFactory } from '../drivers/types.ts';
import { SIDES } from '../drivers/vocabulary.ts';
import { ensureDataDisk, ensureGuestImage } from '../guest/build.ts';
import { GUEST_LAYOUT } from '../guest/layout.ts';
import type { Host, HostProvider } from '../hosts/types.ts';
import { MigrationLink } from '../network/link.ts';
import { MAIN_GUEST } from '../observation/derive.ts';
import {
  History,
  HISTORY_FORMAT,
  type GuestSpecRecord,
  type HistoryEntry,
  type StepOutcome,
} from '../observation/history.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { GuestSettings, Scenario, Step } from '../scenario/schema.ts';
import { makeRunContext, sampleStates, stepKind, type GuestRun, type RunContext } from '../steps/index.ts';
import { ANSWER_MS, answerWithin, lookBound } from '../steps/looks.ts';
import { whileRunning } from '../util/cleanup.ts';
import { clockFrom, timeScale, wallTime } from '../util/clock.ts';
import { DeadlineError, withDeadline } from '../util/deadline.ts';
import { Unavailable, UsageError, WaitExpired } from '../util/errors.ts';

export interface RunScenarioOptions {
  readonly loaded: LoadedScenario;
  readonly driverFactory: DriverFactory;
  /** Driver options from the command line, over the scenario's own. */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  readonly hostProvider: HostProvider;
  /** A scratch folder for the hosts (sockets, dumps, logs); removed by the caller. */
  readonly workDir: string;
  readonly accel: 'auto' | 'kvm' | 'tcg';
  readonly progress: (line: string) => void;
}

/** What a scenario run leaves: its history, and files worth keeping (still in the scratch folder). */
export interface ScenarioRun {
  readonly history: ReadonlyArray<HistoryEntry>;
  readonly evidence: ReadonlyArray<{ readonly label: string; readonly path: string }>;
}

/**
 * cutover itself failed while the scenario played (what the implementation did is in the
 * history, never thrown): the run as recorded up to then comes with it, to be kept.
 */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(
    /** Where the scenario was: "step 14 (check-memory)", "the final states". */
    readonly during: string,
    readonly run: ScenarioRun,
    cause: unknown,
  ) {
    super(`${during}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** How long each part of the teardown (the driver's close, a host's close or logs) may take. */
const TEARDOWN_MS = 30_000;

/** A part of the teardown within TEARDOWN_MS: its result, or undefined when it failed or ran out. */
type Bounded = <T>(what: string, work: () => Promise<T>) => Promise<T | undefined>;

/**
 * Plays a scenario's steps against a driver on fresh hosts, appending everything to one
 * history. A wait that runs out ends the scenario early (the history says where); a harness
 * failure throws ScenarioError with what was recorded (a usage error is thrown as it is).
 * Either way every guest and host is ended before this returns.
 */
export async function runScenario(options: RunScenarioOptions): Promise<ScenarioRun> {
  const { scenario } = options.loaded;
  const clock = clockFrom();
  const startedAt = new Date().toISOString();
  const say = (line: string): void => options.progress(`${scenario.name}: ${line}`);
  const history = new History(clock);
  const hosts = await options.hostProvider.create(
    Object.entries(scenario.hosts).map(([name, settings]) => ({ name, ...settings })),
    options.workDir,
    clock,
  );
  const driver = options.driverFactory({
    clock,
    log: say,
    options: { ...scenario.driver.options, ...options.driverOptions },
  });
  const fleet = await makeFleet(scenario, options.accel);
  const ctx = makeRunContext({
    driver,
    capabilities: driver.capabilities,
    hostFeatures: options.hostProvider.features,
    hostKind: options.hostProvider.kind,
    hosts: new Map(hosts.map((h) => [h.name, h])),
    clock,
    say,
    history,
    fleet,
    background: [],
    armed: [],
  });
  // Each event goes to the guest it is about (the main one when the driver does not say).
  const unsubscribe = driver.onEvent((e) => {
    const named = [...fleet.values()].filter((g) => g.spec.name === e.guest);
    const owner =
      named.find((g) => e.host === undefined || g.sides[e.side]?.host.name === e.host) ??
      named[0] ??
      fleet.get(MAIN_GUEST);
    if (owner) history.append({ type: 'event', t: e.t, guest: owner.key, event: e });
  });
  // Each part bounded: a driver or host that never returns must not hold the run (hosts end their processes).
  const bounded: Bounded = (what, work) =>
    withDeadline(what, wallTime(TEARDOWN_MS), Promise.resolve().then(work)).catch((err) => {
      if (err instanceof DeadlineError) say(`teardown: ${err.message}`);
      return undefined;
    });
  const stopEverything = async (): Promise<void> => {
    unsubscribe();
    history.close();
    for (const disarm of ctx.armed.splice(0)) disarm();
    await Promise.all(ctx.background.splice(0).map((stop) => bounded('a background task', stop)));
    await bounded(`the ${driver.name} driver's close`, () => driver.close());
    await Promise.all(hosts.map((h) => bounded(`closing host ${h.name}`, () => h.close())));
    for (const guest of fleet.values()) {
      await guest.link.close();
      await Promise.all(Object.values(guest.serial).map((s) => s?.close().catch(() => undefined)));
    }
  };
  const where = { now: 'starting' };
  // Registered for Ctrl-C and a dying parent too, not only for the normal end.
  return whileRunning(stopEverything, async () => {
    try {
      await play(ctx, options.loaded, hosts, startedAt, where);
      return { history: history.entries, evidence: await collectEvidence(ctx, driver, hosts, bounded) };
    } catch (err) {
      if (err instanceof UsageError) throw err;
      // The history ends where cutover failed (no 'end' entry); it and the files so far are kept.
      history.close();
      say(`cutover failed during ${where.now}: ${err instanceof Error ? err.message : String(err)}`);
      const evidence = await collectEvidence(ctx, driver, hosts, bounded).catch(() => []);
      throw new ScenarioError(where.now, { history: history.entries, evidence }, err);
    } finally {
      await stopEverything();
    }
  });
}

async function makeFleet(scenario: Scenario, accel: RunScenarioOptions['accel']): Promise<Map<string, GuestRun>> {
  const fleet = new Map<string, GuestRun>();
  const all: Array<[string, GuestSettings]> = [[MAIN_GUEST, scenario.guest], ...Object.entries(scenario.guests)];
  for (const [key, guest] of all) {
    const bootImage = await ensureGuestImage(guest.workload);
    const dataDisk = guest.workload === 'diskwalk' ? await ensureDataDisk() : undefined;
    fleet.set(key, {
      key,
      on: guest.on,
      spec: {
        name: guest.name ?? (key === MAIN_GUEST ? `cutover-${scenario.name}` : `cutover-${scenario.name}-${key}`),
        uuid: guest.uuid ?? randomUUID(),
        emulator: guest.emulator,
        ...((guest.sharedMemory || guest.cpr) && { sharedMemory: true }),
        ...(guest.cpr && { cpr: true }),
        ...(dataDisk !== undefined && { dataDisk }),
        bootImage,
        memoryMiB: Math.max(guest.memoryMiB, GUEST_LAYOUT.memoryMiB),
        accel,
        ...(guest.spice && { spice: true }),
        ...(guest.machine !== undefined && { machine: guest.machine }),
      },
      sides: {},
      serial: {},
      link: new MigrationLink(),
    });
  }
  return fleet;
}

async function play(
  ctx: RunContext,
  loaded: LoadedScenario,
  hosts: ReadonlyArray<Host>,
  startedAt: string,
  where: { now: string },
): Promise<void> {
  const { scenario } = loaded;
  where.now = `the ${ctx.driver.name} driver's describe()`;
  const description = await ctx.driver.describe();
  const guests: Record<string, GuestSpecRecord> = {};
  for (const guest of ctx.fleet.values()) {
    guests[guest.key] = {
      name: guest.spec.name,
      memoryMiB: guest.spec.memoryMiB,
      ...(guest.spec.uuid !== undefined && { uuid: guest.spec.uuid }),
      ...(guest.spec.dataDisk !== undefined && { disk: true }),
    };
  }
  ctx.history.append({
    type: 'begin',
    t: 0,
    format: HISTORY_FORMAT,
    startedAt,
    ...(timeScale !== 1 && { timeScale }),
    scenario: { name: scenario.name, file: loaded.file, judges: scenario.judges },
    driver: { name: ctx.driver.name, versions: description.versions, capabilities: [...ctx.capabilities] },
    hostKind: ctx.hostKind,
    hosts: Object.fromEntries(
      hosts.map((h) => {
        const { description: _text, ...settings } = scenario.hosts[h.name] ?? {};
        return [
          h.name,
          {
            kind: h.kind,
            address: h.address,
            description: h.description,
            settings,
            ...(h.keepalive && { keepalive: h.keepalive }),
          },
        ];
      }),
    ),
    guests,
  });
  await playSteps(ctx, scenario.steps, where);
  where.now = 'the final states';
  await sampleStates(ctx);
  await Promise.all(
    ctx.background.splice(0).map((stop) =>
      withDeadline('a background task', lookBound(ANSWER_MS), stop()).catch((err) => {
        if (!(err instanceof DeadlineError)) throw err;
        ctx.say(`${err.message}; left to the teardown`);
      }),
    ),
  );
  for (const disarm of ctx.armed.splice(0)) disarm();
  for (const guest of ctx.fleet.values()) {
    const job = guest.migration ? guest.job : undefined;
    if (!job) continue;
    const bound = lookBound(ANSWER_MS);
    // A final status the implementation does not give is recorded so (answerWithin), not waited for.
    const info = await answerWithin(
      ctx,
      { look: 'final-status', guest: guest.key },
      "the migration's final status",
      bound,
      () => job.info(),
    ).catch(() => undefined);
    if (info) ctx.history.append({ type: 'final', guest: guest.key, info });
  }
  ctx.history.append({ type: 'end' });
  ctx.history.close();
}

/**
 * Plays the steps in order. A wait that runs out (or a step whose target is gone) is an
 * observation, not a stuck run: from then on only the steps that look still play, so the
 * judges see the final states, progress and memory of a hang. A step the implementation
 * cannot do at all ends the scenario: the requirement does not apply.
 */
async function playSteps(ctx: RunContext, steps: ReadonlyArray<Step>, where: { now: string }): Promise<void> {
  let cutShort: string | undefined;
  for (const [index, step] of steps.entries()) {
    where.now = `step ${index} (${step.do})`;
    const startedAt = ctx.clock();
    const record = (outcome: StepOutcome, detail?: string): void =>
      void ctx.history.append({ type: 'step', index, do: step.do, startedAt, outcome, ...(detail ? { detail } : {}) });
    const kind = stepKind(step);
    if (cutShort !== undefined && !kind.gathersEvidence) {
      record('not-played', cutShort);
      continue;
    }
    try {
      const detail = await kind.play(ctx, step);
      record('ok', detail ?? undefined);
      if (detail) ctx.say(detail);
      await sampleStates(ctx);
    } catch (err) {
      const outcome = outcomeOf(err);
      if (!outcome) throw err;
      record(outcome, (err as Error).message);
      ctx.say(
        `step ${index} (${step.do}) ${outcome === 'deadline' ? 'ran out of time' : 'could not be done'}: ${(err as Error).message}`,
      );
      if (outcome === 'unsupported') return;
      cutShort ??= `step ${index} (${step.do}) ${outcome === 'deadline' ? 'ran out of time' : 'could not be done'}`;
    }
  }
}

function outcomeOf(err: unknown): Exclude<StepOutcome, 'ok' | 'not-played'> | undefined {
  if (err instanceof WaitExpired) return 'deadline';
  if (err instanceof Unsupported) return 'unsupported';
  if (err instanceof Unavailable) return 'unavailable';
  return undefined;
}

/** Files worth keeping: the driver's (once its guests ended), the hosts' logs, what steps made. */
async function collectEvidence(
  ctx: RunContext,
  driver: Driver,
  hosts: ReadonlyArray<Host>,
  bounded: Bounded,
): Promise<Array<{ label: string; path: string }>> {
  await bounded(`the ${driver.name} driver's close`, () => driver.close());
  const files: Array<{ label: string; path: string }> = [];
  for (const guest of ctx.fleet.values()) {
    for (const side of SIDES) files.push(...(guest.sides[side]?.evidence() ?? []));
  }
  for (const host of hosts) {
    files.push(...((await bounded(`the logs of host ${host.name}`, () => host.collectLogs())) ?? []));
  }
  files.push(...ctx.history.of('evidence').map(({ label, path }) => ({ label, path })));
  return files;
}
