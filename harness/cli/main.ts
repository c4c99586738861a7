import { Command, Option, CommanderError } from 'commander';
import { doctorOk, formatDoctor, inspectMachine, runSetup, SetupError } from '../setup/index.ts';
import { ensureGuestImage } from '../guest/build.ts';
import { UsageError } from '../util/errors.ts';
import { PROJECT_ROOT, TOOL_VERSION } from './project.ts';
import { implementedFamilies, selectRequirements } from './select.ts';
import { runCommand } from './run.ts';
import { scenarioCommand } from './scenario.ts';
import { judgeCommand } from './judge.ts';
import { exploreCommand } from './explore.ts';
import { compareCertificates, comparisonLines, readCertificate } from '../reporting/baseline.ts';
import { faultCatalogue, premiseLines, requirementLines } from './list.ts';
import { driverOption } from './driver-options.ts';
import { findEmulators } from '../hosts/process/emulators.ts';
import { mutantsCommand, variantLines } from './mutants.ts';
import { premisesCommand } from './premises.ts';
import { formatEmulators } from './emulators-report.ts';
import { MAX_TIME_SCALE, parseTimeScale } from '../util/clock.ts';

const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const accelOption = () =>
  new Option('--accel <accel>', 'accelerator for the guests (auto: KVM when usable, else TCG)')
    .choices(['auto', 'kvm', 'tcg'])
    .default('auto');

const program = new Command('cutover')
  .description('Conformance test harness for live migration of virtual machines')
  .version(TOOL_VERSION)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

program
  .command('run')
  .description('run the requirement suites and write the reports')
  .option('--family <names>', 'families to run, comma-separated (default: all with a suite)', list, [])
  .option('--requirement <ids>', 'requirement IDs to run, comma-separated', list, [])
  .option('--driver <name|path>', 'built-in driver, or the path of a driver module', 'qemu')
  .option('--driver-option <key=value>', "a driver option, over the scenarios' own (repeatable)", driverOption, {})
  .option('--hosts <kind>', 'where hosts run: process, container or emulated', 'process')
  .option(
    '--image <release>',
    'image of container hosts: bookworm (QEMU 7.2, libvirt 9.0) or trixie (QEMU 10.0)',
    'bookworm',
  )
  .option(
    '--bug <ids>',
    'emulated hosts: switch on these bug variants, comma-separated (`cutover mutants --list`)',
    list,
    [],
  )
  .addOption(accelOption())
  .option('--out <dir>', 'reports folder (each run gets a subfolder and a `latest` link)', 'reports')
  .option('--baseline <certificate>', 'gate against an earlier certificate: exit 1 only for what got worse')
  .option(
    '--repeat <n>',
    'play each scenario n times; a requirement fails if any repetition fails (default: 1, more for timing-dependent ones)',
    repeatCount,
  )
  .option(
    '--jobs <n>',
    'emulated hosts: families played side by side, each with up to 5 of its requirements at once (real hosts play one scenario at a time)',
    positiveCount('--jobs'),
    1,
  )
  .option(
    '--time-scale <n>',
    `emulated hosts: run cutover's and the emulators' clock n times faster than the wall clock (1 to ${MAX_TIME_SCALE})`,
    timeScaleOption,
    1,
  )
  .option('--no-html', 'write no Allure HTML (allure-results are written still; it takes Java ~4 s of CPU)')
  .action(async (opts) => finish(await runCommand(opts)));

program
  .command('scenario <file>')
  .description('run one scenario file alone; print what it observed and what it judged')
  .option('--driver <name|path>', "driver (default: the scenario's own)")
  .option('--driver-option <key=value>', "a driver option, over the scenario's own (repeatable)", driverOption, {})
  .option('--hosts <kind>', 'where hosts run: process, container or emulated', 'process')
  .option('--image <release>', 'image of container hosts: bookworm or trixie', 'bookworm')
  .option('--bug <ids>', 'emulated hosts: switch on these bug variants, comma-separated', list, [])
  .addOption(accelOption())
  .option('--out <dir>', 'reports folder', 'reports')
  .action(async (file, opts) => finish(await scenarioCommand(file, opts)));

program
  .command('explore')
  .description(
    "play generated fault schedules (one to three faults at phases, statuses or delays) over a family's base scenario; shrink and write the first that fails",
  )
  .option('--family <name>', 'whose base scenario (scenarios/<family>/explore-base.yaml)', 'v3')
  .option('--base <file>', 'explore over this scenario instead')
  .option('--runs <n>', 'schedules to play', positiveCount('--runs'), 20)
  .option('--seed <n>', 'fast-check seed (default: random, printed)', positiveCount('--seed'))
  .option('--budget <duration>', 'stop playing new schedules after this long', '10m')
  .option('--keep-going', 'after a failure is shrunk, look on with the next seed')
  .option(
    '--jobs <n>',
    'schedules played at once (emulated hosts are light enough for 4-8; real QEMUs need their cores)',
    positiveCount('--jobs'),
    1,
  )
  .option('--driver <name|path>', 'built-in driver, or the path of a driver module', 'qemu')
  .option('--driver-option <key=value>', 'a driver option (repeatable)', driverOption, {})
  .option('--hosts <kind>', 'where hosts run: process, container or emulated', 'process')
  .option('--image <release>', 'image of container hosts: bookworm or trixie', 'bookworm')
  .option('--bug <ids>', 'emulated hosts: switch on these bug variants, comma-separated', list, [])
  .addOption(accelOption())
  .option('--out <dir>', 'reports folder', 'reports')
  .action(async (opts) => finish(await exploreCommand(opts)));

program
  .command('mutants')
  .description(
    'the mutation matrix: the suites on the correct emulated target and on each bug variant; which variant made which requirement fail (exit 1 if one survived them all)',
  )
  .option('--family <names>', 'families to play, comma-separated (default: all with a suite)', list, [])
  .option('--requirement <ids>', 'requirement IDs to play, comma-separated', list, [])
  .option('--concurrency <n>', 'runs at once', positiveCount('--concurrency'), 3)
  .option(
    '--jobs <n>',
    'passed to each run: families side by side, each with up to 5 of its requirements at once (see `cutover run --jobs`)',
    positiveCount('--jobs'),
    1,
  )
  .option(
    '--time-scale <n>',
    `passed to each run: the clock n times faster than the wall clock (1 to ${MAX_TIME_SCALE}); a requirement not judged on that clock (MIG-05 at 10) shows as not-judged`,
    timeScaleOption,
    1,
  )
  .option(
    '--each-once',
    'play each variant against each requirement on one driver only: the first (qemu, then emulated) whose correct run passed it',
  )
  .option('--list', 'list the bug variants: ID, the requirements each breaks, what it does')
  .option('--out <dir>', 'reports folder', 'reports')
  .action(async (opts) => {
    if (opts.list) {
      for (const line of variantLines()) process.stdout.write(`${line}\n`);
      return;
    }
    finish(await mutantsCommand(opts));
  });

program
  .command('premises')
  .description(
    'the premise matrix: each requirement on the correct emulated target, then with each of its premises taken away; it must then not pass (exit 1 if one does, or if the reason does not name the premise)',
  )
  .option('--family <names>', 'families to play, comma-separated (default: all with a suite)', list, [])
  .option('--requirement <ids>', 'requirement IDs to play, comma-separated', list, [])
  .option('--concurrency <n>', 'plays at once', positiveCount('--concurrency'), 3)
  .option(
    '--time-scale <n>',
    `the emulated clock, n times the wall's (1 to ${MAX_TIME_SCALE}; see \`cutover run --time-scale\`)`,
    timeScaleOption,
    10,
  )
  .option('--out <dir>', 'reports folder', 'reports')
  .action(async (opts) => finish(await premisesCommand(opts)));

program
  .command('list')
  .description(
    'one line per requirement: ID<TAB>title; with --premises, each followed by its premises; with --faults, the fault catalogue',
  )
  .option(
    '--faults',
    'list the fault kinds: what each does, where it can be placed, which drivers and hosts support it',
  )
  .option('--premises', 'each requirement followed by its premises: what must have happened for it to be judged')
  .action(async (opts: { faults?: boolean; premises?: boolean }) => {
    const lines = opts.faults ? await faultCatalogue() : opts.premises ? premiseLines() : requirementLines();
    for (const line of lines) process.stdout.write(`${line}\n`);
  });

program
  .command('compare <baseline> <certificate>')
  .description(
    'compare two certificates: what got worse, what improved, what still fails (exit 1 if anything got worse)',
  )
  .action(async (a: string, b: string) => {
    const comparison = compareCertificates(await readCertificate(a), await readCertificate(b));
    for (const line of comparisonLines(comparison, a)) process.stdout.write(`${line}\n`);
    finish(comparison.regressions.length ? 1 : 0);
  });

program
  .command('judge <path>')
  .description(
    'judge a stored run again from its histories (reports/latest), rebuilding its certificate; or one scenario folder or observation.json',
  )
  .action(async (path: string) => finish(await judgeCommand(path)));

program
  .command('doctor')
  .description('what this machine has for the suites, and how to get what is missing')
  .action(async () => {
    const checks = await inspectMachine();
    process.stdout.write(`${formatDoctor(checks)}\n`);
    process.stdout.write(`${formatEmulators(await findEmulators())}\n`);
    finish(doctorOk(checks) ? 0 : 1);
  });

program
  .command('setup')
  .description(
    "install what the suites need from Debian's packages (as root), start the Docker engine, build host images and the test guest",
  )
  .option('--family <names>', 'only what these families need (default: every family with a suite)', list, [])
  .option('--dry-run', 'print the commands without running them')
  .action(async (opts: { dryRun?: boolean; family: string[] }) => {
    const log = (line: string): void => void process.stdout.write(`${line}\n`);
    const families = opts.family.length
      ? selectRequirements(PROJECT_ROOT, opts.family, []).requirements.map((r) => r.family)
      : implementedFamilies(PROJECT_ROOT);
    const result = await runSetup({
      families: [...new Set(families)],
      log,
      dryRun: opts.dryRun ?? false,
      includeOptional: true,
    });
    if (opts.dryRun) {
      for (const c of result.commands) log(c);
      return;
    }
    log(`test guest: ${await ensureGuestImage()}`);
    log(result.installed.length ? `installed: ${result.installed.join(' ')}` : 'everything was already installed');
  });

function repeatCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new UsageError(`--repeat ${value}: not a whole number from 1 to 100`);
  return n;
}

function timeScaleOption(value: string): number {
  try {
    return parseTimeScale(value);
  } catch {
    throw new UsageError(`--time-scale ${value}: not a number from 1 to ${MAX_TIME_SCALE}`);
  }
}

function positiveCount(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${value}: not a whole number`);
    return n;
  };
}

function finish(code: number): void {
  process.exitCode = code;
}

// `cutover list | head` closes the pipe early: that is not an error, and a run whose
// reader went away still finishes and writes its reports; it only stops printing.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2; // help and version exit 0; usage errors 2
  } else if (err instanceof UsageError || err instanceof SetupError) {
    process.stderr.write(`cutover: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `cutover: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  }
}

// Every command has awaited its work (reports written, hosts removed) by now. Exit rather than
// wait for Node's loop to drain: a handle cutover lost track of must not hang the exit. (One
// did: the relay reset sockets whose shutdown was pending; libuv refused (EINVAL), Node 20
// marked them closing without closing them, and its exit cleanup spun on them for ever;
// relay.ts cutConnection now destroys those instead.)
process.exit();
