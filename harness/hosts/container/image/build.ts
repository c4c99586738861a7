// Container host images, built from Debian's packages with no registry: debootstrap a
// rootfs, configure it, `tar | docker import` it. Cached by a hash of every input: the
// image tag carries it, and so does the rootfs kept under /var/cache/cutover.
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastLines, probeEnv, runCommand, shellJoin, type RunResult } from '../../../util/command.ts';
import { sleep } from '../../../util/deadline.ts';
import { makeDirectory } from '../../../util/fs.ts';
import { docker, dockerEnv, ensureDockerEngine, type Log } from './engine.ts';
import { withLock } from './lock.ts';
import { discoverDebianMirror } from './mirror.ts';
import {
  HOST_IMAGE_REPOSITORY,
  hostImageHash,
  hostImageTag,
  hostRecipe,
  type HostImageInputs,
  type HostRecipe,
  type HostRelease,
} from './recipe.ts';

/** Bump when this file changes what it builds: every image and cached rootfs is then rebuilt. */
export const HOST_IMAGE_BUILD_VERSION = 1;
export const CACHE_ROOT = '/var/cache/cutover';
export const INIT_SCRIPT_FILE = fileURLToPath(new URL('./cutover-host-init', import.meta.url));
export const INIT_SCRIPT_IN_IMAGE = '/usr/local/sbin/cutover-host-init';
export const READY_FILE = '/run/cutover-ready';
export const FAILED_FILE = '/run/cutover-failed';
export const INIT_LOG = '/var/log/cutover-init.log';

const MINUTE = 60_000;
export const STEP_TIMEOUTS_MS = {
  debootstrap: 15 * MINUTE,
  aptUpdate: 5 * MINUTE,
  aptInstall: 15 * MINUTE,
  configure: 2 * MINUTE,
  versions: MINUTE,
  import: 10 * MINUTE,
  smokeTest: 2 * MINUTE,
  tag: MINUTE,
} as const;
/** How long to wait for another process that builds the same release. */
const BUILD_LOCK_WAIT_MS = 45 * MINUTE;
const HEARTBEAT_MS = 30_000;
const TAIL_LINES = 20;

/** Run inside the chroot after the packages are in: users, groups and folders libvirt
 *  needs without libvirt-daemon-system, and no apt caches in the image. */
export const CONFIGURE_SCRIPT = `set -e
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
mkdir -p /etc/libvirt /var/log/libvirt/qemu /run/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu
chmod 0755 ${INIT_SCRIPT_IN_IMAGE}
for tool in tini virtlogd libvirtd virsh virt-admin qemu-system-x86_64 qemu-img ip ps iptables socat timeout; do
  command -v "$tool" >/dev/null || { echo "missing in the image: $tool" >&2; exit 1; }
done
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log /tmp/* /var/tmp/*
: >/etc/resolv.conf
`;

/** `docker import --change` lines; labels with the versions are added per build. */
export const IMAGE_CHANGES: readonly string[] = [
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  `ENTRYPOINT ["/usr/bin/tini", "--", "${INIT_SCRIPT_IN_IMAGE}"]`,
  'EXPOSE 16509',
];

/** A type, not an interface: it must fit Record<string, string> (host descriptions). */
export type HostImageVersions = {
  qemu: string;
  libvirt: string;
};

export interface HostImage {
  tag: string;
  /** false: the image was there already. */
  built: boolean;
  /** Wall time of this call. */
  seconds: number;
  versions: HostImageVersions;
}

export class HostImageBuildError extends Error {
  override name = 'HostImageBuildError';
  constructor(
    readonly release: HostRelease,
    readonly step: string,
    readonly logFile: string,
    readonly why: string,
    readonly tail: string[],
  ) {
    super(
      `host image ${release}: step ${step} failed: ${why}; log ${logFile}` +
        (tail.length > 0 ? `, last lines:\n${tail.map((l) => `  ${l}`).join('\n')}` : ''),
    );
  }
}

/** The flags every cutover host container runs with (see FIELD-NOTES: --privileged fails
 *  here for want of CAP_SYS_RESOURCE). Devices only when the machine has them. */
export function hostContainerFlags(exists: (path: string) => boolean = existsSync): string[] {
  const flags = ['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined'];
  for (const dev of ['/dev/kvm', '/dev/userfaultfd']) if (exists(dev)) flags.push('--device', dev);
  return flags;
}

export async function hostImageInputs(release: HostRelease): Promise<HostImageInputs> {
  return {
    buildVersion: HOST_IMAGE_BUILD_VERSION,
    recipe: hostRecipe(release),
    initScript: await readFile(INIT_SCRIPT_FILE, 'utf8'),
    configureScript: CONFIGURE_SCRIPT,
    imageChanges: IMAGE_CHANGES,
  };
}

/** The tag the current inputs give, without building anything. */
export async function currentHostImageTag(release: HostRelease): Promise<string> {
  return hostImageTag(release, hostImageHash(await hostImageInputs(release)));
}

/** First "N.N.N" after a marker in a version banner. */
export function parseQemuVersion(text: string): string | undefined {
  return /QEMU emulator version (\d+(?:\.\d+)+)/.exec(text)?.[1];
}
export function parseLibvirtVersion(text: string): string | undefined {
  return /libvirtd \(libvirt\) (\d+(?:\.\d+)+)/.exec(text)?.[1];
}

export function labelsFor(release: HostRelease, hash: string, versions: HostImageVersions): Record<string, string> {
  return {
    'cutover.release': release,
    'cutover.hash': hash,
    'cutover.build-version': String(HOST_IMAGE_BUILD_VERSION),
    'cutover.qemu': versions.qemu,
    'cutover.libvirt': versions.libvirt,
  };
}

export function versionsFromLabels(labels: Record<string, string> | null | undefined): HostImageVersions | undefined {
  const qemu = labels?.['cutover.qemu'];
  const libvirt = labels?.['cutover.libvirt'];
  return qemu && libvirt ? { qemu, libvirt } : undefined;
}

/** Labels of an image, or undefined when there is no such image. */
async function inspectLabels(tag: string): Promise<Record<string, string> | undefined> {
  const res = await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', tag], 30_000);
  if (res.code !== 0) return undefined;
  try {
    return (JSON.parse(res.stdout.trim()) as Record<string, string> | null) ?? {};
  } catch {
    return {};
  }
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string, mountinfo: string): string[] {
  const prefix = dir.replace(/\/+$/, '');
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === prefix || p.startsWith(`${prefix}/`)))
    .map((p) => p.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

/**
 * One build: steps with deadlines and a log file; each command's output goes to the log,
 * and a failure becomes a HostImageBuildError naming the step.
 */
class Build {
  readonly started = Date.now();
  constructor(
    readonly recipe: HostRecipe,
    readonly logFile: string,
    readonly log: Log,
  ) {
    writeFileSync(logFile, `cutover host image build: ${recipe.release}, ${new Date().toISOString()}\n`);
  }

  elapsed(): number {
    return Math.round((Date.now() - this.started) / 1000);
  }

  note(line: string): void {
    appendFileSync(this.logFile, `${line}\n`);
  }

  fail(step: string, why: string, output?: string): HostImageBuildError {
    const tail = output !== undefined ? lastLines(output, TAIL_LINES) : this.logTail();
    this.note(`FAILED at ${step}: ${why}`);
    return new HostImageBuildError(this.recipe.release, step, this.logFile, why, tail);
  }

  logTail(): string[] {
    try {
      return lastLines(readFileSync(this.logFile, 'utf8'), TAIL_LINES);
    } catch {
      return [];
    }
  }

  /** Runs a command for `step`; throws unless it exits 0. */
  async run(
    step: string,
    argv: readonly string[],
    timeoutMs: number,
    env: NodeJS.ProcessEnv = probeEnv(),
  ): Promise<RunResult> {
    this.note(`$ ${shellJoin(argv)}`);
    const stepStarted = Date.now();
    const heartbeat = setInterval(() => {
      this.log(
        `host image ${this.recipe.release}: ${step} still running (${Math.round((Date.now() - stepStarted) / 1000)} s)`,
      );
    }, HEARTBEAT_MS);
    let res: RunResult;
    try {
      res = await runCommand(argv, { timeoutMs, env, onLine: (line) => this.note(line) });
    } finally {
      clearInterval(heartbeat);
    }
    if (res.code !== 0) {
      const why =
        res.spawnError !== undefined
          ? `${argv[0] ?? ''} could not start (${res.spawnError})`
          : res.timedOut
            ? `no end within ${Math.round(timeoutMs / 1000)} s`
            : `exit code ${String(res.code)}`;
      throw this.fail(step, why, res.output);
    }
    return res;
  }

  /** Runs `work` as a named step with progress lines. */
  async step<T>(step: string, work: () => Promise<T>): Promise<T> {
    const t = Date.now();
    this.log(`host image ${this.recipe.release}: ${step} … (${this.elapsed()} s)`);
    this.note(`--- step ${step} (${this.elapsed()} s)`);
    let value: T;
    try {
      value = await work();
    } catch (err) {
      if (err instanceof HostImageBuildError) throw err;
      throw this.fail(step, err instanceof Error ? err.message : String(err));
    }
    this.log(`host image ${this.recipe.release}: ${step} done in ${Math.round((Date.now() - t) / 1000)} s`);
    return value;
  }
}

async function unmountAll(dir: string, build?: Build): Promise<void> {
  for (const mount of mountsUnder(dir, readFileSync('/proc/self/mountinfo', 'utf8'))) {
    const res = await runCommand(['umount', mount], { timeoutMs: 30_000, env: probeEnv() });
    if (res.code !== 0) await runCommand(['umount', '-l', mount], { timeoutMs: 30_000, env: probeEnv() });
    build?.note(`unmounted ${mount}`);
  }
  const left = mountsUnder(dir, readFileSync('/proc/self/mountinfo', 'utf8'));
  if (left.length > 0) throw new Error(`cannot unmount ${left.join(', ')}`);
}

/** rm -rf that never crosses into a mount (a bound /dev must not be emptied). */
async function removeTree(dir: string): Promise<void> {
  await unmountAll(dir);
  const res = await runCommand(['rm', '-rf', '--one-file-system', dir], { timeoutMs: 5 * MINUTE, env: probeEnv() });
  if (res.code !== 0) throw new Error(`cannot remove ${dir}: ${lastLines(res.output, 3).join(' ')}`);
}

/** With /proc, /sys, /dev and /dev/pts bound into the rootfs; always unmounted after. */
async function withChrootMounts<T>(rootfs: string, build: Build, work: () => Promise<T>): Promise<T> {
  const mounts: Array<{ argv: string[]; target: string }> = [
    { argv: ['mount', '-t', 'proc', 'proc', join(rootfs, 'proc')], target: join(rootfs, 'proc') },
    { argv: ['mount', '-t', 'sysfs', 'sysfs', join(rootfs, 'sys')], target: join(rootfs, 'sys') },
    { argv: ['mount', '--bind', '/dev', join(rootfs, 'dev')], target: join(rootfs, 'dev') },
    { argv: ['mount', '--bind', '/dev/pts', join(rootfs, 'dev/pts')], target: join(rootfs, 'dev/pts') },
  ];
  try {
    for (const m of mounts) {
      await makeDirectory(m.target);
      await build.run('mount', m.argv, 30_000);
    }
    return await work();
  } finally {
    await unmountAll(rootfs, build);
  }
}

/** Stage markers live beside the rootfs, not in it (they must not end up in the image). */
function marker(workDir: string, stage: string): string {
  return join(workDir, `${stage}.done`);
}

async function debootstrapStage(build: Build, workDir: string, rootfs: string, mirror: string): Promise<void> {
  const { recipe } = build;
  if (existsSync(marker(workDir, 'debootstrap'))) {
    build.log(`host image ${recipe.release}: reusing the debootstrapped rootfs in ${rootfs}`);
    return;
  }
  await build.step('debootstrap', async () => {
    if (existsSync(rootfs)) await removeTree(rootfs); // a half-done one from an interrupted run
    await makeDirectory(workDir);
    const argv = ['debootstrap', '--variant=minbase', '--components=main'];
    if (recipe.packages.length > 0) argv.push(`--include=${recipe.packages.join(',')}`);
    argv.push(recipe.suite, rootfs, mirror);
    await build.run('debootstrap', argv, STEP_TIMEOUTS_MS.debootstrap);
    writeFileSync(marker(workDir, 'debootstrap'), `${new Date().toISOString()}\n`);
  });
}

async function secondStage(build: Build, workDir: string, rootfs: string): Promise<void> {
  const { recipe } = build;
  if (recipe.secondStep.length === 0 || existsSync(marker(workDir, 'packages'))) return;
  await build.step(`apt-get install ${recipe.secondStep.join(' ')}`, async () => {
    // Name resolution for apt, and no service may start in the chroot.
    await copyFile('/etc/resolv.conf', join(rootfs, 'etc/resolv.conf')).catch(() => undefined);
    writeFileSync(join(rootfs, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const env = { ...probeEnv(), DEBIAN_FRONTEND: 'noninteractive', DEBCONF_NONINTERACTIVE_SEEN: 'true' };
    await withChrootMounts(rootfs, build, async () => {
      // An interrupted earlier attempt may have left dpkg half-way.
      await build.run(
        'dpkg --configure -a',
        ['chroot', rootfs, 'dpkg', '--configure', '-a'],
        STEP_TIMEOUTS_MS.aptInstall,
        env,
      );
      await build.run(
        'apt-get update',
        ['chroot', rootfs, 'apt-get', '-o', 'DPkg::Lock::Timeout=120', 'update'],
        STEP_TIMEOUTS_MS.aptUpdate,
        env,
      );
      await build.run(
        'apt-get install',
        [
          'chroot',
          rootfs,
          'apt-get',
          '-o',
          'DPkg::Lock::Timeout=120',
          'install',
          '-y',
          '--no-install-recommends',
          ...recipe.secondStep,
        ],
        STEP_TIMEOUTS_MS.aptInstall,
        env,
      );
    });
    writeFileSync(marker(workDir, 'packages'), `${new Date().toISOString()}\n`);
  });
}

async function configureStage(build: Build, rootfs: string): Promise<HostImageVersions> {
  return build.step('configure', async () => {
    await makeDirectory(join(rootfs, 'usr/local/sbin'));
    await copyFile(INIT_SCRIPT_FILE, join(rootfs, INIT_SCRIPT_IN_IMAGE.slice(1)));
    writeFileSync(join(rootfs, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    await build.run('configure', ['chroot', rootfs, '/bin/sh', '-c', CONFIGURE_SCRIPT], STEP_TIMEOUTS_MS.configure);
    const qemu = await build.run(
      'versions',
      ['chroot', rootfs, 'qemu-system-x86_64', '--version'],
      STEP_TIMEOUTS_MS.versions,
    );
    const libvirt = await build.run('versions', ['chroot', rootfs, 'libvirtd', '--version'], STEP_TIMEOUTS_MS.versions);
    const versions = { qemu: parseQemuVersion(qemu.stdout), libvirt: parseLibvirtVersion(libvirt.stdout) };
    if (versions.qemu === undefined || versions.libvirt === undefined) {
      throw build.fail(
        'versions',
        `cannot read the versions from "${qemu.stdout.trim()}" and "${libvirt.stdout.trim()}"`,
      );
    }
    const { expect } = build.recipe;
    if (!versions.qemu.startsWith(`${expect.qemu}.`) || !versions.libvirt.startsWith(`${expect.libvirt}.`)) {
      build.log(
        `host image ${build.recipe.release}: note: QEMU ${versions.qemu}, libvirt ${versions.libvirt} (the recipe expects ${expect.qemu}.x, ${expect.libvirt}.x)`,
      );
    }
    return { qemu: versions.qemu, libvirt: versions.libvirt };
  });
}

async function importStage(build: Build, rootfs: string, tag: string, labels: Record<string, string>): Promise<void> {
  await build.step('docker import', async () => {
    const left = mountsUnder(rootfs, readFileSync('/proc/self/mountinfo', 'utf8'));
    if (left.length > 0)
      throw build.fail('docker import', `refusing to pack a rootfs with mounts in it: ${left.join(', ')}`);
    const changes = [
      ...IMAGE_CHANGES,
      `LABEL ${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(' ')}`,
    ];
    const tar = ['tar', '--numeric-owner', '--one-file-system', '-C', rootfs, '-c', '.'];
    const imp = ['docker', 'import', ...changes.flatMap((c) => ['--change', c]), '-', tag];
    await build.run(
      'docker import',
      ['bash', '-o', 'pipefail', '-c', `${shellJoin(tar)} | ${shellJoin(imp)}`],
      STEP_TIMEOUTS_MS.import,
      dockerEnv(),
    );
  });
}

/** Starts the candidate image with no network, waits for its ready file, checks virsh
 *  and virt-admin, and removes the container. Any failure keeps the image untagged. */
async function smokeTest(build: Build, candidate: string): Promise<void> {
  await build.step('smoke test', async () => {
    const name = `cutover-smoke-${build.recipe.release}-${randomUUID().slice(0, 8)}`;
    const run = (args: string[], timeoutMs = 30_000): Promise<RunResult> =>
      build.run('smoke test', ['docker', ...args], timeoutMs, dockerEnv());
    try {
      await run([
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'none',
        ...hostContainerFlags(),
        '-e',
        'CUTOVER_MIN_WORKERS=2',
        '-e',
        'CUTOVER_MAX_WORKERS=7',
        '-e',
        'CUTOVER_PRIO_WORKERS=3',
        candidate,
      ]);
      const end = Date.now() + STEP_TIMEOUTS_MS.smokeTest;
      for (;;) {
        const ready = await docker(['exec', name, 'cat', READY_FILE], 10_000);
        if (ready.code === 0) {
          build.note(ready.stdout);
          break;
        }
        const state = await docker(['inspect', '--format', '{{.State.Running}}', name], 10_000);
        if (state.stdout.trim() !== 'true' || Date.now() > end) {
          const logs = await docker(['logs', '--tail', '30', name], 10_000);
          build.note(logs.output);
          throw build.fail(
            'smoke test',
            state.stdout.trim() !== 'true'
              ? 'the container stopped before libvirtd was ready'
              : `not ready within ${STEP_TIMEOUTS_MS.smokeTest / 1000} s`,
            logs.output,
          );
        }
        await sleep(250);
      }
      const pool = await run(['exec', name, 'virt-admin', 'server-threadpool-info', 'libvirtd']);
      if (
        !/minWorkers\s*:\s*2\b/.test(pool.stdout) ||
        !/maxWorkers\s*:\s*7\b/.test(pool.stdout) ||
        !/prioWorkers\s*:\s*3\b/.test(pool.stdout)
      ) {
        throw build.fail('smoke test', 'libvirtd did not take the worker pool sizes from the environment', pool.stdout);
      }
      await run(['exec', name, 'virsh', '-c', 'qemu+tcp://127.0.0.1/system', 'version']);
    } finally {
      await docker(['rm', '-f', name], 30_000);
    }
  });
}

/** Removes the images of this release made from other inputs (skipped when in use). */
async function removeOldImages(release: HostRelease, keep: string, log: Log): Promise<void> {
  const res = await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', HOST_IMAGE_REPOSITORY], 30_000);
  const old = res.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((t) => t.startsWith(`${HOST_IMAGE_REPOSITORY}:${release}-`) && t !== keep);
  for (const tag of old) {
    const rm = await docker(['rmi', tag], 60_000);
    log(
      rm.code === 0
        ? `host image ${release}: removed old image ${tag}`
        : `host image ${release}: kept old image ${tag} (${lastLines(rm.stderr, 1)[0] ?? 'in use'})`,
    );
  }
}

/** Removes cached rootfs folders of this release made from other inputs. */
async function removeOldWorkDirs(release: HostRelease, keep: string, log: Log): Promise<void> {
  const names = await readdir(CACHE_ROOT).catch(() => [] as string[]);
  for (const name of names) {
    const dir = join(CACHE_ROOT, name);
    if (name.startsWith(`host-${release}-`) && !name.endsWith('.lock') && dir !== keep) {
      await removeTree(dir);
      log(`host image ${release}: removed old rootfs ${dir}`);
    }
  }
}

/**
 * The host image of a Debian release, built when no image has the current inputs' hash.
 * Cached: `docker image inspect` and the image's labels answer in well under a second.
 * Concurrent calls for one release wait for each other (a lock per release).
 */
export async function ensureHostImage(release: HostRelease, log: Log): Promise<HostImage> {
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 100) / 10;
  const recipe = hostRecipe(release);
  await ensureDockerEngine(log);
  const hash = hostImageHash(await hostImageInputs(release));
  const tag = hostImageTag(release, hash);

  const cached = async (): Promise<HostImage | undefined> => {
    const versions = versionsFromLabels(await inspectLabels(tag));
    return versions ? { tag, built: false, seconds: seconds(), versions } : undefined;
  };
  const hit = await cached();
  if (hit) return hit;

  if (process.getuid?.() !== 0) {
    throw new Error(
      `host image ${release}: ${tag} is not built, and building it needs root (debootstrap, chroot): run \`sudo npx cutover setup\``,
    );
  }

  await makeDirectory(CACHE_ROOT);
  const lockFile = join(CACHE_ROOT, `host-${release}.lock`);
  const waiting = setTimeout(
    () => log(`host image ${release}: waiting for another cutover process that builds it (${lockFile})`),
    1000,
  );
  return withLock(lockFile, `building host image ${release}`, BUILD_LOCK_WAIT_MS, async () => {
    clearTimeout(waiting);
    const other = await cached(); // built by another process while we waited
    if (other) return other;

    const workDir = join(CACHE_ROOT, `host-${release}-${hash}`);
    const rootfs = join(workDir, 'rootfs');
    await makeDirectory(workDir);
    const build = new Build(recipe, join(workDir, 'build.log'), log);
    log(`host image ${release}: building ${tag} (log: ${build.logFile})`);

    const mirror = await discoverDebianMirror();
    build.note(`mirror: ${mirror}`);
    await debootstrapStage(build, workDir, rootfs, mirror);
    await secondStage(build, workDir, rootfs);
    const versions = await configureStage(build, rootfs);

    const candidate = `${tag}-candidate`;
    try {
      await importStage(build, rootfs, candidate, labelsFor(release, hash, versions));
      await smokeTest(build, candidate);
      await build.run('tag', ['docker', 'tag', candidate, tag], STEP_TIMEOUTS_MS.tag, dockerEnv());
    } finally {
      await docker(['rmi', candidate], 60_000); // the final tag keeps the image
    }

    await removeOldImages(release, tag, log);
    await removeOldWorkDirs(release, workDir, log);
    const size = await docker(['image', 'inspect', '--format', '{{.Size}}', tag], 30_000);
    const mb = Math.round(Number(size.stdout.trim()) / 1e6);
    log(
      `host image ${release}: built ${tag} (QEMU ${versions.qemu}, libvirt ${versions.libvirt}, ${mb} MB) in ${seconds()} s`,
    );
    return { tag, built: true, seconds: seconds(), versions };
  }).finally(() => clearTimeout(waiting));
}
