// The Docker engine the container hosts run on. No systemd here: when the engine is
// installed but down, we start dockerd ourselves, detached, so it outlives this process
// and serves the next runs too.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { lastLines, probeEnv, runCommand, which, type RunResult } from '../../../util/command.ts';
import { sleep } from '../../../util/deadline.ts';
import { withLock } from './lock.ts';

export const DOCKERD_LOG = '/var/log/cutover-dockerd.log';
export const DOCKERD_LOCK = '/run/cutover-dockerd.lock';
export const DOCKERD_START_TIMEOUT_MS = 60_000;
/** The API version of Debian 12's docker.io (engine 20.10). */
export const ENGINE_API_FALLBACK = '1.41';
const INFO_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 20;
const SETUP_HINT = 'run `npx cutover setup` as root (it installs docker.io)';

export type Log = (line: string) => void;

/** DOCKER_API_VERSION pinned when the client cannot negotiate with the engine by itself. */
let pinnedApiVersion: string | undefined;

/** The environment for every docker command: sbin folders on PATH, C locale, and the API
 *  version pinned when the client does not talk to the engine otherwise. */
export function dockerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = probeEnv(base);
  if (pinnedApiVersion !== undefined && base.DOCKER_API_VERSION === undefined)
    env.DOCKER_API_VERSION = pinnedApiVersion;
  return env;
}

/** Runs `docker ARGS` with dockerEnv() and a deadline. */
export function docker(
  args: readonly string[],
  timeoutMs: number,
  onLine?: (line: string) => void,
): Promise<RunResult> {
  return runCommand(['docker', ...args], { timeoutMs, env: dockerEnv(), ...(onLine ? { onLine } : {}) });
}

/** Reads the highest API version a docker client error names, e.g. from
 *  "client version 1.50 is too new. Maximum supported API version is 1.41". */
export function apiVersionFromError(text: string): string | undefined {
  return /maximum supported API version is (\d+\.\d+)/i.exec(text)?.[1];
}

/** True when the client's error says it and the engine disagree on the API version. */
export function isApiMismatch(text: string): boolean {
  return /client version [\d.]+ is too (new|old)|maximum supported api version|minimum supported api version/i.test(
    text,
  );
}

interface InfoAnswer {
  ok: boolean;
  version?: string;
  output: string;
}

async function dockerInfo(env: NodeJS.ProcessEnv): Promise<InfoAnswer> {
  const res = await runCommand(['docker', 'version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'], {
    timeoutMs: INFO_TIMEOUT_MS,
    env,
  });
  const text = `${res.stdout}\n${res.stderr}`;
  const m = /^\s*(\d+\.\d+\.\d+\S*)\s+(\d+\.\d+)\s*$/m.exec(res.stdout);
  if (res.code === 0 && m) return { ok: true, version: m[1] ?? '', output: text };
  return {
    ok: false,
    output: res.spawnError ? `docker: ${res.spawnError}` : res.timedOut ? 'docker version: no answer' : text,
  };
}

/** Asks the engine, pinning DOCKER_API_VERSION when the client does not negotiate down. */
async function engineAnswers(): Promise<{ ok: boolean; version?: string; output: string }> {
  const first = await dockerInfo(dockerEnv());
  if (first.ok || !isApiMismatch(first.output)) return first;
  const pinned = apiVersionFromError(first.output) ?? ENGINE_API_FALLBACK;
  const second = await dockerInfo({ ...dockerEnv(), DOCKER_API_VERSION: pinned });
  if (second.ok) pinnedApiVersion = pinned;
  return second;
}

/** Whether `pid` is a live process whose command name is `name`. */
function runsAs(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
  } catch {
    return false;
  }
}

function pidFromFile(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const PID_FILES = [
  { path: '/var/run/docker.pid', name: 'dockerd' },
  { path: '/var/run/docker/containerd/containerd.pid', name: 'containerd' },
];

/**
 * Removes pid files left by an engine that was killed. dockerd refuses to start (and its
 * supervisor trusts a containerd) whenever the recorded pid is alive, whatever runs under
 * it now; on a machine restored from a snapshot that pid is often reused by something else.
 */
function removeStalePidFiles(log: Log): void {
  for (const { path, name } of PID_FILES) {
    const pid = pidFromFile(path);
    if (pid === undefined || runsAs(pid, name)) continue;
    rmSync(path, { force: true });
    log(`removed stale ${path} (pid ${pid} is not ${name})`);
  }
}

/** Pid of a running dockerd, from its pid file or else by scanning /proc. */
export function runningDockerdPid(): number | undefined {
  const recorded = pidFromFile('/var/run/docker.pid');
  if (recorded !== undefined && runsAs(recorded, 'dockerd')) return recorded;
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && runsAs(Number(entry), 'dockerd')) return Number(entry);
  }
  return undefined;
}

function logTail(): string[] {
  try {
    return lastLines(readFileSync(DOCKERD_LOG, 'utf8'), LOG_TAIL_LINES);
  } catch {
    return [];
  }
}

function startDockerd(dockerdPath: string): { pid: number | undefined; exited: () => number | null | undefined } {
  const fd = openSync(DOCKERD_LOG, 'a');
  writeSync(fd, `\n--- cutover started dockerd at ${new Date().toISOString()} ---\n`);
  let exitCode: number | null | undefined;
  try {
    const child = spawn(dockerdPath, [], { detached: true, stdio: ['ignore', fd, fd], env: probeEnv() });
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
    });
    child.on('error', () => {
      exitCode = -1;
    });
    child.unref();
    return { pid: child.pid, exited: () => exitCode };
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes sure a Docker engine answers: returns at once when it does; starts an installed
 * but stopped dockerd (detached, log in DOCKERD_LOG) and waits up to 60 s for it. Only one
 * caller at a time may start it (a machine-wide lock), and never while a dockerd runs.
 */
export async function ensureDockerEngine(log: Log): Promise<{ version: string }> {
  const now = await engineAnswers();
  if (now.ok) return { version: now.version ?? '' };

  const dockerdPath = await which('dockerd');
  if (dockerdPath === undefined) {
    throw new Error(`no Docker engine: dockerd is not installed; ${SETUP_HINT}`);
  }
  if ((await which('docker')) === undefined) {
    throw new Error(`no docker client on PATH; ${SETUP_HINT}`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `the Docker engine is not running and starting it needs root: run \`sudo npx cutover setup\`, or start dockerd (log: ${DOCKERD_LOG})`,
    );
  }

  return withLock(DOCKERD_LOCK, 'starting dockerd', DOCKERD_START_TIMEOUT_MS + 30_000, async () => {
    // Someone may have started it while we waited for the lock.
    const again = await engineAnswers();
    if (again.ok) return { version: again.version ?? '' };

    const started = Date.now();
    const running = runningDockerdPid();
    let child: ReturnType<typeof startDockerd> | undefined;
    const dockerHost = process.env.DOCKER_HOST;
    if (
      running !== undefined &&
      dockerHost &&
      dockerHost !== 'unix:///var/run/docker.sock' &&
      dockerHost !== 'unix:///run/docker.sock'
    ) {
      throw new Error(
        `dockerd (pid ${running}) runs, but DOCKER_HOST=${dockerHost} does not reach it: unset DOCKER_HOST, or point it at that dockerd's socket`,
      );
    }
    if (running !== undefined) {
      log(`dockerd (pid ${running}) is running but does not answer yet; waiting`);
    } else {
      removeStalePidFiles(log);
      child = startDockerd(dockerdPath);
      log(`started dockerd (pid ${String(child.pid)}), log: ${DOCKERD_LOG}`);
    }

    let last: InfoAnswer = again;
    while (Date.now() - started < DOCKERD_START_TIMEOUT_MS) {
      await sleep(250);
      last = await engineAnswers();
      if (last.ok) {
        log(
          `Docker engine ${last.version ?? ''} answers (${((Date.now() - started) / 1000).toFixed(1)} s)${pinnedApiVersion ? `; client pinned to API ${pinnedApiVersion}` : ''}`,
        );
        return { version: last.version ?? '' };
      }
      const code = child?.exited();
      if (code !== undefined) {
        throw new Error(
          `dockerd exited (code ${String(code)}) before answering; log ${DOCKERD_LOG}:\n${logTail()
            .map((l) => `  ${l}`)
            .join('\n')}`,
        );
      }
    }
    throw new Error(
      `the Docker engine did not answer within ${DOCKERD_START_TIMEOUT_MS / 1000} s (last: ${lastLines(last.output, 1)[0] ?? 'nothing'}); read ${DOCKERD_LOG}`,
    );
  });
}
