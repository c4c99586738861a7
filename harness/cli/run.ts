import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { startVitest } from 'vitest/node';
import { compareCertificates, comparisonLines, readCertificate } from '../reporting/baseline.ts';
import { buildCertificate, conformanceLines, exitCodeFor, summaryLine, verdictLine } from '../reporting/certificate.ts';
import { ResultCollector } from '../reporting/collector.ts';
import { foldInvariants } from '../reporting/invariants.ts';
import { generateAllureHtml, writeAllureEnvironment } from '../reporting/allure-html.ts';
import { openRunFolder } from '../reporting/run-folder.ts';
import type { RequirementResult } from '../reporting/result.ts';
import { encodeRunConfig } from '../suite/run-config.ts';
import { SESSION_ENV } from '../hosts/index.ts';
import { TIME_SCALE_ENV } from '../util/clock.ts';
import { UsageError } from '../util/errors.ts';
import { say, type TargetOptions } from './options.ts';
import { handleInterruption } from './interrupt.ts';
import { preflight } from '../session/index.ts';
import { PROJECT_ROOT, TOOL_VERSION } from './project.ts';
import { namePattern, selectRequirements } from './select.ts';
import { LongestFamilyFirst } from './family-order.ts';

export interface RunOptions extends TargetOptions {
  readonly family: string[];
  readonly requirement: string[];
  readonly driver: string;
  /** A certificate to gate against: only what got worse fails the run. */
  readonly baseline?: string;
  /** Plays every requirement's scenarios this many times (else each requirement's own default). */
  readonly repeat?: number;
  /** Emulated hosts: families played side by side, each with its requirements at once. */
  readonly jobs?: number;
  /** Emulated hosts: the run's clock, this many times faster than the wall clock. */
  readonly timeScale?: number;
  /** False: no Allure HTML (`--no-html`; the mutation matrix reads certificates only). */
  readonly html?: boolean;
}

/** `cutover run`: the suites against one driver and host kind, then the reports. */
export async function runCommand(options: RunOptions): Promise<number> {
  const jobs = options.jobs ?? 1;
  const timeScale = options.timeScale ?? 1;
  if (options.hosts !== 'emulated' && (jobs > 1 || timeScale > 1)) {
    throw new UsageError(
      `--jobs and --time-scale are for --hosts emulated: real QEMUs and daemons run on the wall clock, and their timing is judged with the machine to themselves (this run: --hosts ${options.hosts})`,
    );
  }
  const selection = selectRequirements(PROJECT_ROOT, options.family, options.requirement);
  const baseline = options.baseline !== undefined ? await readCertificate(options.baseline) : undefined;
  const sut = await preflight(
    { driver: options.driver, hosts: { kind: options.hosts, image: options.image, bugs: options.bug } },
    say,
  );
  const folder = await openRunFolder(options.out);
  const startedAt = new Date();
  say(
    `cutover ${TOOL_VERSION}: ${selection.requirements.length} requirement(s) against ${sut.driverName} on ${options.hosts} hosts${sut.image ? ` (${sut.image})` : ''} (${Object.entries(
      sut.versions,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}; accelerator ${options.accel})${jobs > 1 ? `; ${jobs} jobs` : ''}${timeScale > 1 ? `; clock x${timeScale}` : ''}`,
  );
  say(`writing to ${relative(process.cwd(), folder.path) || folder.path}`);

  Object.assign(
    process.env,
    { [SESSION_ENV]: String(process.pid), [TIME_SCALE_ENV]: String(timeScale) },
    encodeRunConfig({
      runDir: folder.path,
      driver: options.driver,
      driverName: sut.driverName,
      hosts: options.hosts,
      image: options.image,
      bugs: [...options.bug],
      accel: options.accel,
      driverOptions: options.driverOption,
      capabilities: [...sut.capabilities],
      hostFeatures: [...sut.hostFeatures],
      ...(sut.phases && { phases: { source: [...sut.phases.source], destination: [...sut.phases.destination] } }),
      ...(options.repeat !== undefined && { repeat: options.repeat }),
    }),
  );
  const interruption = handleInterruption(sut.hostProvider, say, folder.path);
  // Once interrupted, the workers' dying words are no news.
  const collector = new ResultCollector(
    (line) => void (interruption.signal === undefined && say(line)),
    new Set(selection.judged.map((r) => r.id)),
  );
  if (selection.suiteFiles.length) {
    const vitest = await startVitest(
      'test',
      selection.suiteFiles.map((f) => join(PROJECT_ROOT, f)),
      {
        root: PROJECT_ROOT,
        config: join(PROJECT_ROOT, 'vitest.suites.config.ts'),
        watch: false,
        testNamePattern: namePattern(selection.judged),
        // Emulated hosts are light: families side by side (vitest's workers), each with its
        // requirements at once (vitest's maxConcurrency, 5; a scenario they share is played once).
        // One module graph per worker (isolate: false): loading the harness again for each family
        // cost ~10 s of CPU over a run. Each family's session ends with it (verify.ts).
        ...(jobs > 1 && {
          fileParallelism: true,
          maxWorkers: jobs,
          sequence: { concurrent: true, sequencer: LongestFamilyFirst },
          isolate: false,
        }),
        reporters: [
          interruption.reporter,
          collector,
          ['junit', { outputFile: join(folder.path, 'junit.xml'), suiteName: 'cutover' }],
          ['allure-vitest/reporter', { resultsDir: join(folder.path, 'allure-results') }],
        ],
      },
    );
    await vitest.close();
  }
  // Interrupted: no report of a run that did not finish; the handler ends the process.
  if (interruption.signal) return new Promise<number>(() => {});

  const reported: RequirementResult[] = selection.requirements.map((r) => {
    if (!selection.judged.includes(r)) {
      const result: RequirementResult = {
        id: r.id,
        verdict: 'not-implemented',
        reason: 'cutover has no judge for it yet',
        durationMs: 0,
        measurements: {},
        evidence: [],
      };
      say(verdictLine(result));
      return result;
    }
    return (
      collector.results.get(r.id) ?? {
        id: r.id,
        verdict: 'error',
        reason: 'the suite never reported this requirement',
        durationMs: 0,
        measurements: {},
        evidence: [],
      }
    );
  });
  const results = foldInvariants(reported, collector.invariants);
  for (const [i, r] of results.entries()) if (r !== reported[i]) say(`over every scenario played: ${verdictLine(r)}`);
  const certificate = buildCertificate({
    version: TOOL_VERSION,
    sut: {
      driver: sut.driverName,
      hosts: options.hosts,
      ...(sut.image && { image: sut.image }),
      ...(timeScale > 1 && { timeScale }),
      versions: sut.versions,
    },
    startedAt,
    finishedAt: new Date(),
    results,
  });
  await writeFile(join(folder.path, 'certificate.json'), `${JSON.stringify(certificate, null, 2)}\n`);
  const ran = selection.suiteFiles.length > 0;
  let allure: Awaited<ReturnType<typeof generateAllureHtml>> = { skipped: 'nothing was played, so no Allure report' };
  if (ran && options.html === false) allure = { skipped: 'not built (--no-html)' };
  else if (ran) {
    say('building the Allure HTML ...');
    await writeAllureEnvironment(join(folder.path, 'allure-results'), certificate.sut);
    allure = await generateAllureHtml(join(folder.path, 'allure-results'), join(folder.path, 'allure-report'));
  }
  const final = await folder.finish();
  say(`\n${summaryLine(certificate.summary)}`);
  for (const line of conformanceLines(certificate.conformance)) say(line);
  const comparison = baseline && compareCertificates(baseline, certificate);
  if (comparison && options.baseline !== undefined) {
    await writeFile(
      join(final, 'comparison.json'),
      `${JSON.stringify({ baseline: resolve(options.baseline), ...comparison }, null, 2)}\n`,
    );
    for (const line of comparisonLines(comparison, options.baseline)) say(line);
  }
  say(`certificate: ${join(final, 'certificate.json')}`);
  if (ran) say(`JUnit:       ${join(final, 'junit.xml')}`);
  say(
    'html' in allure ? `Allure:      ${join(final, 'allure-report', 'index.html')}` : `Allure:      ${allure.skipped}`,
  );
  // Against a baseline only what got worse fails the run; else any failure or error does.
  return comparison ? (comparison.regressions.length ? 1 : 0) : exitCodeFor(certificate);
}
