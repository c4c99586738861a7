// The CLI as a user runs it, against real QEMU (installed by `cutover setup`).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  carriesMark,
  certificateIn,
  cutover,
  interruptedCutover,
  printedVerdicts,
  qemuProcesses,
  ROOT,
  runningProcesses,
} from './e2e-helpers.ts';

describe('cutover run on real QEMU', () => {
  it('certifies MIG-01..08 with certificate, JUnit, Allure and evidence, and leaves nothing behind', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const result = await cutover(['run', '--family', 'mig', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code, result.stdout).toBe(0);
    const certificate = certificateIn(out);
    expect(certificate.sut.versions.qemu).toMatch(/^\d+\.\d+/);
    expect(certificate.sut.accelerator).toMatch(/kvm|tcg/);
    expect(certificate.results.map((r) => `${r.id}:${r.verdict}`)).toEqual(
      ['MIG-01', 'MIG-02', 'MIG-03', 'MIG-04', 'MIG-05', 'MIG-06', 'MIG-07', 'MIG-08'].map((id) => `${id}:pass`),
    );
    for (const r of certificate.results) {
      expect(r.evidence.length).toBeGreaterThan(0);
      for (const path of r.evidence) expect(existsSync(join(out, 'latest', path)), path).toBe(true);
      expect(r.evidence.some((p) => p.includes('qmp-source.log'))).toBe(true);
    }
    expect(certificate.results.find((r) => r.id === 'MIG-05')?.measurements.guestDowntimeMs).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'latest', 'junit.xml'), 'utf8')).toContain('MIG-08');
    expect(readdirSync(join(out, 'latest', 'allure-results')).some((f) => f.endsWith('-result.json'))).toBe(true);
    expect(readFileSync(join(out, 'latest', 'allure-results', 'environment.properties'), 'utf8')).toMatch(
      /^driver=qemu\n.*^qemu=\d+\.\d+/ms,
    );
    expect(result.stdout).toMatch(/8 passed, 0 failed/);
    expect(readdirSync(out).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
    expect(qemuProcesses()).toBe(0);
    // MIG-07 on a silent host: QEMU keeps no bound of its own and waits out the kernel's SYN retries.
    expect(certificate.results.find((r) => r.id === 'MIG-07')?.reason).toMatch(
      /silent-destination: failed \d+(\.\d)? ms after the request with "[^"]*timed out"/,
    );

    // The stored run judged again from its histories: the verdicts the run printed, the same certificate.
    const judged = await cutover(['judge', join(out, 'latest')]);
    expect(judged.code, judged.stderr).toBe(0);
    expect(printedVerdicts(judged.stdout)).toEqual(printedVerdicts(result.stdout));
    expect(printedVerdicts(judged.stdout)).toHaveLength(8);
    expect(certificateIn(out).results.map((r) => [r.id, r.verdict, r.reason])).toEqual(
      certificate.results.map((r) => [r.id, r.verdict, r.reason]),
    );
    const scenario = await cutover(['judge', join(out, 'latest', 'scenarios', 'precopy', 'observation.json')]);
    expect(scenario.stdout).toMatch(/^PASS {2}MIG-01: /m);
  }, 480_000);

  it('catches a vendor driver that resumes the source after completion (MIG-04, MIG-08 fail); a baseline that knew MIG-08 names MIG-04 alone', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const driver = join(ROOT, 'harness/cli/fixtures/split-brain-driver.ts');
    const baseline = join(out, 'baseline.json');
    const row = (id: string, verdict: string) => ({
      id,
      verdict,
      reason: 'earlier run',
      durationMs: 0,
      measurements: {},
      evidence: [],
    });
    writeFileSync(
      baseline,
      JSON.stringify({ results: [row('MIG-02', 'pass'), row('MIG-04', 'pass'), row('MIG-08', 'fail')] }),
    );
    const result = await cutover([
      'run',
      '--requirement',
      'MIG-02,MIG-04,MIG-08',
      '--driver',
      driver,
      '--out',
      out,
      '--baseline',
      baseline,
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^against .*baseline\.json: 1 got worse \(MIG-04\); 0 improved, 1 still failing$/m);
    expect(result.stdout).toMatch(/^ {2}worse: +MIG-04: pass -> fail: /m);
    expect(existsSync(join(out, 'latest', 'comparison.json'))).toBe(true);
    const verdicts = Object.fromEntries(certificateIn(out).results.map((r) => [r.id, r.verdict]));
    expect(verdicts).toEqual({ 'MIG-02': 'pass', 'MIG-04': 'fail', 'MIG-08': 'fail' });
    expect(certificateIn(out).sut.driver).toBe('split-brain');
    expect(qemuProcesses()).toBe(0);
  }, 240_000);

  it('runs one scenario alone and prints what it observed and judged', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const result = await cutover(['scenario', 'scenarios/mig/unreachable.yaml', '--out', out]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/source MIGRATION failed/);
    expect(result.stdout).toMatch(/PASS {2}MIG-07: failed [\d.]+ ms after the request with "/);
    expect(existsSync(join(out, 'latest', 'scenarios', 'unreachable', 'timeline.svg'))).toBe(true);
  }, 120_000);

  it('a reader that goes away (`| head -1`) stops the printing, not the run: the report is whole', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/cutover.mjs'), 'scenario', 'scenarios/mig/unreachable.yaml', '--out', out],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(existsSync(join(out, 'latest', 'scenarios', 'unreachable', 'observation.json'))).toBe(true);
  }, 120_000);

  it.each([['run --family mig'], ['scenario scenarios/mig/precopy.yaml']])(
    'Ctrl-C of `cutover %s`: exit 130, no QEMU left, no report that looks finished',
    async (command) => {
      const args = command.split(' ');
      const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
      // A guest's QEMU (not the `--version` probe of the pre-flight checks) means the run is under way.
      const guestRuns = async (): Promise<boolean> =>
        runningProcesses(/^qemu-system-x86$/, (cmdline) => cmdline.includes('guest='), carriesMark()) > 0;
      const result = await interruptedCutover([...args, '--out', out], { ready: guestRuns, signal: 'SIGINT' });
      expect(result.code, result.stdout + result.stderr).toBe(130);
      expect(qemuProcesses()).toBe(0);
      expect(readdirSync(out).filter((f) => !f.endsWith('.incomplete'))).toEqual([]);
    },
    120_000,
  );
});

describe('cutover on bad input: one line, exit 2, nothing written', () => {
  const cases: Array<[string, string[], RegExp, NodeJS.ProcessEnv?]> = [
    [
      'an unknown family',
      ['run', '--family', 'mig,nope'],
      /^cutover: unknown family 'nope' \(families are mig, .*\)\n$/,
    ],
    [
      'an unknown requirement',
      ['run', '--requirement', 'MIG-77'],
      /^cutover: unknown requirement ID 'MIG-77' \(see `npx cutover list`\)\n$/,
    ],
    [
      'a scenario field of the wrong type',
      ['scenario', 'harness/cli/fixtures/faulty.yaml'],
      /^cutover: harness\/cli\/fixtures\/faulty\.yaml:8: guest\.memoryMiB: .*\n$/,
    ],
    [
      'an --out that cannot be written',
      ['run', '--out', '/proc/cutover'],
      /^cutover: cannot write reports to \/proc\/cutover: .*--out\)\n$/,
    ],
    [
      'a driver module that does not exist',
      ['run', '--driver', './no/such/driver.ts'],
      /^cutover: driver module not found: .*\n$/,
    ],
    [
      'a driver on hosts it cannot run on',
      ['run', '--driver', 'emulated', '--family', 'mig'],
      /^cutover: the emulated driver runs on emulated hosts, not process hosts \(use --hosts emulated\)\n$/,
    ],
    [
      'a missing QEMU',
      ['run'],
      /^cutover: QEMU not found: .*cutover setup.*\n$/,
      { ...process.env, PATH: '/nonexistent' },
    ],
    [
      'a guest its QEMU cannot start',
      ['scenario', 'harness/cli/fixtures/unstartable.yaml'],
      /^cutover: QEMU could not start the guest on alpha \(exit code 1, .*unsupported machine type.*\(check the scenario's guest .*cutover doctor.*\)\n$/,
    ],
    [
      'a step before what it needs',
      ['scenario', 'harness/cli/fixtures/out-of-order.yaml'],
      /^cutover: harness\/cli\/fixtures\/out-of-order\.yaml:10: steps\[1\]\.do: wait-migration before the guest was migrated .*\n$/,
    ],
  ];
  it.each(cases)('%s', async (_what, args, message, env) => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-bad-'));
    const result = await cutover([...args, ...(args.includes('--out') ? [] : ['--out', out])], env);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(readdirSync(out)).toEqual([]);
  });

  it('lists the fault catalogue: each kind, its target, what it does, who supports it, and the placements', async () => {
    const result = await cutover(['list', '--faults']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^kill +side +kills one side's emulator \(SIGKILL\) +qemu\/process, qemu\/container, libvirt\/container, qemu\/emulated, emulated\/emulated$/m,
    );
    expect(result.stdout).toMatch(/^silent-port +link +.* +qemu\/process, qemu\/emulated, emulated\/emulated$/m);
    expect(result.stdout).toMatch(/^freeze-daemon +daemon +.* +libvirt\/container, emulated\/emulated$/m);
    expect(result.stdout).toMatch(/^pause-host +host +.* +qemu\/container, libvirt\/container$/m);
    expect(result.stdout).toMatch(/^ +status +when a guest's migration reaches a status/m);
  });

  it('lists requirements as ID<TAB>title', async () => {
    const result = await cutover(['list']);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain('MIG-05\tGuest-observed downtime stays within downtime-limit plus tolerance');
    expect(lines.every((l) => /^[A-Z0-9]+-[A-Z0-9]+\t\S/.test(l))).toBe(true);
  });
});
