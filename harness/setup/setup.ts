// `cutover setup`: installs the Debian packages behind PREREQUISITES. Idempotent and
// fast when all is there: dpkg is asked first, and apt is not touched unless needed.
import { aptInstallArgv, aptUpdateArgv, installedPackages, sudoInstallCommand } from './apt.ts';
import { fixFor, realMachineFacts, type MachineFacts } from './doctor.ts';
import { prerequisitesFor, type Need, type Prerequisite } from './prerequisites.ts';
import { probe, realProbeDeps, type ProbeDeps } from './probe.ts';
import { lastLines, probeEnv, runCommand, shellJoin, type CommandRunner, type RunResult } from '../util/command.ts';

export const APT_UPDATE_TIMEOUT_MS = 5 * 60_000;
export const APT_INSTALL_TIMEOUT_MS = 15 * 60_000;
const HEARTBEAT_MS = 30_000;
const TAIL_LINES = 15;

export class SetupError extends Error {
  override name = 'SetupError';
  constructor(
    message: string,
    readonly info: { command?: string; packages?: string[]; outputTail?: string[] } = {},
  ) {
    super(message);
  }
}

export type Log = (line: string) => void;

/** A further step (e.g. building the guest image) that runs after the packages are in. */
export interface SetupStep {
  name: string;
  /** Only for these families ('core' or unset: always). */
  families?: readonly Need[];
  run(log: Log): Promise<void>;
}

/** Other modules register their steps here; runSetup runs them in order. */
export const extraSetupSteps: SetupStep[] = [];

export interface SetupOptions {
  families?: string[];
  log: Log;
  /** Decide and report the commands, change nothing. */
  dryRun?: boolean;
  /** Also install optional prerequisites (java for the Allure HTML). */
  includeOptional?: boolean;
  /** Test seams: the runner for dpkg-query and apt-get, probes, root-ness, steps. */
  run?: CommandRunner;
  probeDeps?: ProbeDeps;
  facts?: MachineFacts;
  steps?: readonly SetupStep[];
}

export interface SetupResult {
  /** Packages this call installed. */
  installed: string[];
  /** Packages already installed, or whose tool was found anyway (java from another JRE). */
  alreadyPresent: string[];
  /** The shell commands run, or to run (dry run, or not root). */
  commands: string[];
}

const realRun: CommandRunner = (argv, opts) => runCommand(argv, { ...opts, env: opts.env ?? probeEnv() });

function wanted(opts: SetupOptions): Prerequisite[] {
  return prerequisitesFor(opts.families).filter(
    (p) => p.packages.length > 0 && (p.required || opts.includeOptional === true),
  );
}

function stepsFor(opts: SetupOptions): SetupStep[] {
  const steps = opts.steps ?? extraSetupSteps;
  const families = opts.families;
  return steps.filter(
    (s) =>
      s.families === undefined ||
      families === undefined ||
      families.length === 0 ||
      s.families.some((f) => f === 'core' || families.includes(f)),
  );
}

/** Packages to install: those dpkg lacks, unless the tool they provide is there anyway. */
async function decide(
  prereqs: readonly Prerequisite[],
  run: CommandRunner,
  deps: ProbeDeps,
  log: Log,
): Promise<{ missing: string[]; present: string[] }> {
  const all = [...new Set(prereqs.flatMap((p) => p.packages))];
  const status = await installedPackages(all, run);
  const gaps = prereqs.filter((p) => p.packages.some((pkg) => status.get(pkg) !== true));
  // Only the gaps are probed, so the all-present path costs dpkg-query alone.
  const probes = await Promise.all(gaps.map((p) => probe(p, deps)));
  const missing = new Set<string>();
  gaps.forEach((p, i) => {
    const found = probes[i];
    const absent = p.packages.filter((pkg) => status.get(pkg) !== true);
    if (found?.installed === true) {
      log(
        `${p.id}: ${absent.join(' ')} not installed, but ${p.id}${found.version ? ` ${found.version}` : ''} found; leaving it`,
      );
      return;
    }
    for (const pkg of absent) missing.add(pkg);
  });
  return { missing: [...missing], present: all.filter((pkg) => !missing.has(pkg)) };
}

function aptFailure(
  what: string,
  packages: string[],
  command: string,
  res: RunResult,
  timeoutMs: number,
  reason?: string,
): SetupError {
  const tail = lastLines(res.output, TAIL_LINES);
  const why =
    reason ??
    (res.spawnError !== undefined
      ? `could not start (${res.spawnError})`
      : res.timedOut
        ? `timed out after ${Math.round(timeoutMs / 60_000)} min (if dpkg was interrupted: dpkg --configure -a)`
        : `exit code ${String(res.code)}`);
  const shown = tail.length > 0 ? `\n${tail.map((l) => `  ${l}`).join('\n')}` : '';
  return new SetupError(`${what} failed for ${packages.join(' ')}: ${why}${shown}`, {
    command,
    packages,
    outputTail: tail,
  });
}

/** Runs an apt step, logging requested packages as they are set up, and a heartbeat so
 *  a long download does not look like a hang. */
async function aptStep(
  argv: string[],
  timeoutMs: number,
  run: CommandRunner,
  log: Log,
  watch: ReadonlySet<string>,
): Promise<RunResult> {
  const started = Date.now();
  let lastLog = started;
  const heartbeat = setInterval(() => {
    if (Date.now() - lastLog >= HEARTBEAT_MS) {
      log(`  … still running (${Math.round((Date.now() - started) / 1000)} s)`);
      lastLog = Date.now();
    }
  }, HEARTBEAT_MS / 3);
  try {
    return await run(argv, {
      timeoutMs,
      env: { ...probeEnv(), DEBIAN_FRONTEND: 'noninteractive' },
      onLine: (line) => {
        const pkg = /^Setting up ([^\s:]+)/.exec(line)?.[1];
        if (pkg !== undefined && watch.has(pkg)) {
          log(`  set up ${pkg}`);
          lastLog = Date.now();
        }
      },
    });
  } finally {
    clearInterval(heartbeat);
  }
}

async function runSteps(steps: readonly SetupStep[], log: Log, dryRun: boolean): Promise<void> {
  for (const step of steps) {
    if (dryRun) {
      log(`would run step: ${step.name}`);
      continue;
    }
    log(`step: ${step.name}`);
    try {
      await step.run(log);
    } catch (err) {
      throw new SetupError(`setup step ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** After installing: say what still needs a hand (e.g. a daemon no package started). */
async function reportLeftovers(
  prereqs: readonly Prerequisite[],
  deps: ProbeDeps,
  facts: MachineFacts,
  log: Log,
): Promise<void> {
  const results = await Promise.all(prereqs.map((p) => probe(p, deps)));
  prereqs.forEach((p, i) => {
    const r = results[i];
    if (r === undefined || r.present) return;
    const fix = fixFor(p, r, facts);
    log(`note: ${p.id}: ${r.detail ?? 'not usable yet'}${fix !== undefined ? `; fix: ${fix}` : ''}`);
  });
}

export async function runSetup(opts: SetupOptions): Promise<SetupResult> {
  const { log } = opts;
  const run = opts.run ?? realRun;
  const deps = opts.probeDeps ?? realProbeDeps;
  const facts = opts.facts ?? realMachineFacts();
  const dryRun = opts.dryRun === true;
  const prereqs = wanted(opts);
  const steps = stepsFor(opts);

  let decided: { missing: string[]; present: string[] };
  try {
    decided = await decide(prereqs, run, deps, log);
  } catch (err) {
    throw new SetupError(
      `cannot tell which packages are installed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const { missing, present } = decided;

  if (missing.length === 0) {
    log(`packages: all ${present.length} present (${present.join(' ')})`);
    await runSteps(steps, log, dryRun);
    return { installed: [], alreadyPresent: present, commands: [] };
  }

  log(`packages missing: ${missing.join(' ')}`);
  if (!facts.root) {
    const command = sudoInstallCommand(missing);
    if (dryRun) {
      log(`would need root: ${command}`);
      await runSteps(steps, log, dryRun);
      return { installed: [], alreadyPresent: present, commands: [command] };
    }
    log(`not root: run this, then setup again:\n  ${command}`);
    throw new SetupError(`installing ${missing.join(' ')} needs root; run:\n  ${command}`, {
      command,
      packages: missing,
    });
  }

  const updateArgv = aptUpdateArgv();
  const installArgv = aptInstallArgv(missing);
  const commands = [updateArgv, installArgv].map((argv) => `DEBIAN_FRONTEND=noninteractive ${shellJoin(argv)}`);
  if (dryRun) {
    for (const c of commands) log(`would run: ${c}`);
    await runSteps(steps, log, dryRun);
    return { installed: [], alreadyPresent: present, commands };
  }

  const watch = new Set(missing);
  let t = Date.now();
  log('apt-get update …');
  const updated = await aptStep(updateArgv, APT_UPDATE_TIMEOUT_MS, run, log, watch);
  if (updated.code !== 0)
    throw aptFailure('apt-get update', missing, commands[0] ?? '', updated, APT_UPDATE_TIMEOUT_MS);
  log(`apt-get update done (${Math.round((Date.now() - t) / 1000)} s)`);

  t = Date.now();
  log(`installing ${missing.join(' ')} …`);
  const res = await aptStep(installArgv, APT_INSTALL_TIMEOUT_MS, run, log, watch);
  if (res.code !== 0) throw aptFailure('apt-get install', missing, commands[1] ?? '', res, APT_INSTALL_TIMEOUT_MS);

  const after = await installedPackages(missing, run);
  const still = missing.filter((pkg) => after.get(pkg) !== true);
  if (still.length > 0) {
    throw aptFailure(
      'apt-get install',
      still,
      commands[1] ?? '',
      res,
      APT_INSTALL_TIMEOUT_MS,
      'apt-get exited 0 but dpkg does not list them as installed',
    );
  }
  log(`installed ${missing.join(' ')} (${Math.round((Date.now() - t) / 1000)} s)`);

  await reportLeftovers(
    prereqs.filter((p) => p.packages.some((pkg) => watch.has(pkg))),
    deps,
    facts,
    log,
  );
  await runSteps(steps, log, dryRun);
  return { installed: missing, alreadyPresent: present, commands };
}
