// Benchmark (not a test): the wall time of `cutover run --family mig` against the same three
// migrations driven by a bare QMP script of this file's own, in one run so the machine's
// noise hits both; and the harness's peak memory. Prints figures; asserts nothing.
//
//   npm run bench [-- --accel tcg|kvm|auto] [-- --rounds N]

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ensureGuestImage } from '../harness/guest/build.ts';
import { qemuArgs } from '../harness/drivers/qemu/cmdline.ts';
import { GUEST_LAYOUT, walkedRegions } from '../harness/guest/layout.ts';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { accel: { type: 'string', default: 'tcg' }, rounds: { type: 'string', default: '1' } },
});
const accel = values.accel as 'auto' | 'kvm' | 'tcg';
const rounds = Math.max(1, Number(values.rounds));

interface Figures {
  wallMs: number;
  perScenarioMs: Record<string, number>;
  peakRssMiB?: number;
}

// ---- cutover, as a user runs it -------------------------------------------------------

async function runCutover(): Promise<Figures> {
  const out = await mkdtemp(join(tmpdir(), 'cutover-bench-'));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/cutover.mjs'), 'run', '--family', 'mig', '--accel', accel, '--out', out],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const peak = watchPeakMemory(child);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`cutover run exited ${code}`);
  const perScenarioMs: Record<string, number> = {};
  const scenarios = join(out, 'latest', 'scenarios');
  for (const name of await readdir(scenarios)) {
    const obs = JSON.parse(await readFile(join(scenarios, name, 'observation.json'), 'utf8')) as { durationMs: number };
    perScenarioMs[name] = obs.durationMs;
  }
  await rm(out, { recursive: true, force: true });
  return { wallMs, perScenarioMs, peakRssMiB: peak.stop() };
}

/** Peak of the summed resident memory of the harness's node processes (QEMU excluded). */
function watchPeakMemory(root: ChildProcess): { stop(): number } {
  let peakKiB = 0;
  const timer = setInterval(async () => {
    const pids = await nodeDescendants(root.pid ?? -1);
    let total = 0;
    for (const pid of pids) total += await rssKiB(pid);
    peakKiB = Math.max(peakKiB, total);
  }, 50);
  return { stop: () => (clearInterval(timer), Math.round(peakKiB / 1024)) };
}

async function nodeDescendants(rootPid: number): Promise<number[]> {
  const parentOf = new Map<number, number>();
  const isNode = new Map<number, boolean>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const m = /^(\d+) \((.*)\) \S (\d+)/.exec(stat);
    if (!m) continue;
    parentOf.set(Number(m[1]), Number(m[3]));
    isNode.set(Number(m[1]), m[2] === 'node');
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p && p > 1; p = parentOf.get(p)) if (p === rootPid) return true;
    return false;
  };
  return [...parentOf.keys()].filter((pid) => isNode.get(pid) && inTree(pid));
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

// ---- the same migrations, by a bare QMP script ------------------------------------------

class BareQmp {
  private buffer = '';
  private waiting: Array<(msg: Record<string, unknown>) => boolean> = [];
  readonly events: string[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buffer += d.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, nl)) as Record<string, unknown>;
        this.buffer = this.buffer.slice(nl + 1);
        if (typeof msg.event === 'string')
          this.events.push(`${msg.event}:${(msg.data as { status?: string })?.status ?? ''}`);
        this.waiting = this.waiting.filter((w) => !w(msg));
      }
    });
  }
  static async open(path: string): Promise<BareQmp> {
    for (;;) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(path, () => resolve(s)).once('error', () => resolve(undefined));
      });
      if (socket) {
        const qmp = new BareQmp(socket);
        await qmp.next((m) => 'QMP' in m);
        await qmp.cmd('qmp_capabilities');
        return qmp;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.waiting.push((m) => (match(m) ? (resolve(m), true) : false)));
  }
  cmd(execute: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = this.next((m) => 'return' in m || 'error' in m);
    this.socket.write(`${JSON.stringify({ execute, ...(args && { arguments: args }) })}\n`);
    return reply;
  }
  waitEvent(status: string): Promise<unknown> {
    if (this.events.includes(`MIGRATION:${status}`)) return Promise.resolve();
    return this.next((m) => m.event === 'MIGRATION' && (m.data as { status?: string }).status === status);
  }
  close(): void {
    this.socket.destroy();
  }
}

async function bareScenario(kind: 'precopy' | 'cancel' | 'unreachable', dir: string, image: string): Promise<number> {
  const started = performance.now();
  const children: ChildProcess[] = [];
  const servers: Array<ReturnType<typeof createServer>> = [];
  const passes = { source: 0, destination: 0 };
  const listenSerial = (side: 'source' | 'destination'): Promise<string> =>
    new Promise((resolve) => {
      const path = join(dir, `${kind}-${side}.serial`);
      const server = createServer((s) => s.on('data', (d) => (passes[side] += d.toString().split('B').length - 1)));
      servers.push(server);
      server.listen(path, () => resolve(path));
    });
  const startQemu = async (side: 'source' | 'destination', incoming: boolean): Promise<BareQmp> => {
    const qmpSocket = join(dir, `${kind}-${side}.qmp`);
    const boot = join(dir, `${kind}-${side}.img`);
    await copyFile(image, boot);
    const spec = {
      name: 'bench',
      uuid: '6a9c1f3e-0000-4000-8000-00000000be0c',
      bootImage: boot,
      memoryMiB: GUEST_LAYOUT.memoryMiB,
      serialSocket: await listenSerial(side),
      accel,
    };
    children.push(
      spawn('qemu-system-x86_64', qemuArgs({ spec, bootImage: boot, qmpSocket, incoming, kvmUsable: true }), {
        stdio: 'ignore',
      }),
    );
    const qmp = await BareQmp.open(qmpSocket);
    await qmp.cmd('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
    return qmp;
  };
  const untilPasses = async (side: 'source' | 'destination', n: number): Promise<void> => {
    const target = passes[side] + n;
    while (passes[side] < target) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    const src = await startQemu('source', false);
    await untilPasses('source', kind === 'precopy' ? 20 : 10);
    const dst = kind === 'unreachable' ? undefined : await startQemu('destination', true);
    const uri = `unix:${join(dir, `${kind}-${dst ? 'migration' : 'nobody'}.sock`)}`;
    await dst?.cmd('migrate-incoming', { uri });
    await src.cmd('migrate-set-parameters', {
      'max-bandwidth': kind === 'cancel' ? 16 * 1024 ** 2 : 8 * 1024 ** 3,
      'downtime-limit': 300,
    });
    await src.cmd('migrate', { uri });
    if (kind === 'precopy') await src.waitEvent('completed');
    if (kind === 'unreachable') await src.waitEvent('failed');
    if (kind === 'cancel') {
      await src.waitEvent('active');
      await new Promise((r) => setTimeout(r, 500));
      await src.cmd('migrate_cancel');
      await src.waitEvent('cancelled');
    }
    await new Promise((r) => setTimeout(r, 1000));
    const checked = kind === 'precopy' && dst ? dst : src;
    await checked.cmd('stop');
    // The same memory cutover's check reads: each walked region.
    for (const [i, { start, end }] of walkedRegions().entries()) {
      const dump = join(dir, `${kind}-${i}.mem`);
      await checked.cmd('pmemsave', { val: start, size: end - start, filename: dump });
      await readFile(dump);
    }
    src.close();
    dst?.close();
  } finally {
    for (const c of children) c.kill('SIGKILL');
    for (const s of servers) s.close();
  }
  return performance.now() - started;
}

async function runBare(): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'bare-'));
  const image = await ensureGuestImage();
  const started = performance.now();
  const perScenarioMs: Record<string, number> = {};
  for (const kind of ['precopy', 'cancel', 'unreachable'] as const)
    perScenarioMs[kind] = await bareScenario(kind, dir, image);
  const wallMs = performance.now() - started;
  await rm(dir, { recursive: true, force: true });
  return { wallMs, perScenarioMs };
}

// ---- one run, both ways, ratios ----------------------------------------------------------

const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
console.log(`cutover MIG benchmark: accelerator ${accel}, ${rounds} round(s), cutover and the bare script alternating`);
const totals = { cutover: 0, bare: 0 };
const perRound: Array<{ cutover: Record<string, number>; bare: Record<string, number> }> = [];
// This machine (a nested VM) takes freed memory back within seconds; a guest that first
// touches its RAM after such a pause spends ~250 ms more on it than one started right after
// another. cutover's test runner starts for a few seconds before its first guest, so both
// sides start from a machine idle for a while, or the bare script would be favoured.
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5000));
for (let round = 1; round <= rounds; round++) {
  await settle();
  const bare = await runBare();
  await settle();
  const cut = await runCutover();
  console.log(`\nround ${round}`);
  console.log(`  ${'migration'.padEnd(12)} ${'cutover'.padStart(9)} ${'bare QMP'.padStart(9)} ${'ratio'.padStart(6)}`);
  for (const [name, bareMs] of Object.entries(bare.perScenarioMs)) {
    const cutMs = cut.perScenarioMs[name] ?? NaN;
    console.log(
      `  ${name.padEnd(12)} ${fmt(cutMs).padStart(9)} ${fmt(bareMs).padStart(9)} ${(cutMs / bareMs).toFixed(2).padStart(6)}`,
    );
  }
  // Only the migrations both sides play: MIG-07's silent destination (QEMU waits ~2 min for
  // the kernel's SYN retries) has no counterpart in the bare script.
  const cutTotal = Object.keys(bare.perScenarioMs).reduce((sum, name) => sum + (cut.perScenarioMs[name] ?? NaN), 0);
  console.log(
    `  ${'migrations'.padEnd(12)} ${fmt(cutTotal).padStart(9)} ${fmt(bare.wallMs).padStart(9)} ${(cutTotal / bare.wallMs).toFixed(2).padStart(6)}   (goal: <= 1.10)`,
  );
  const extraMs = Object.entries(cut.perScenarioMs)
    .filter(([name]) => !(name in bare.perScenarioMs))
    .reduce((sum, [, ms]) => sum + ms, 0);
  const wholeMs = cut.wallMs - extraMs;
  console.log(
    `  ${'whole run'.padEnd(12)} ${fmt(wholeMs).padStart(9)} ${fmt(bare.wallMs).padStart(9)} ${(wholeMs / bare.wallMs).toFixed(2).padStart(6)}   (adds test-runner start-up and report generation; less ${fmt(extraMs)} of scenarios the bare script does not play)`,
  );
  console.log(`  harness peak memory (node processes, QEMU excluded): ${cut.peakRssMiB} MiB`);
  totals.cutover += cutTotal;
  totals.bare += bare.wallMs;
  perRound.push({ cutover: cut.perScenarioMs, bare: bare.perScenarioMs });
}
if (rounds > 1) {
  console.log(
    `\nall rounds: migrations ${fmt(totals.cutover)} through cutover, ${fmt(totals.bare)} bare: ratio ${(totals.cutover / totals.bare).toFixed(2)}`,
  );
  // QEMU's own convergence time swings by hundreds of ms between runs; medians resist that.
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  };
  console.log(`medians over ${rounds} rounds:`);
  const sums = { cutover: 0, bare: 0 };
  for (const name of Object.keys(perRound[0]?.bare ?? {})) {
    const c = median(perRound.map((r) => r.cutover[name] ?? NaN));
    const b = median(perRound.map((r) => r.bare[name] ?? NaN));
    sums.cutover += c;
    sums.bare += b;
    console.log(`  ${name.padEnd(12)} ${fmt(c).padStart(9)} ${fmt(b).padStart(9)} ${(c / b).toFixed(2).padStart(6)}`);
  }
  console.log(
    `  ${'migrations'.padEnd(12)} ${fmt(sums.cutover).padStart(9)} ${fmt(sums.bare).padStart(9)} ${(sums.cutover / sums.bare).toFixed(2).padStart(6)}   (goal: <= 1.10)`,
  );
}
