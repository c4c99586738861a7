import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host } from '../../hosts/types.ts';
import type { Clock } from '../../util/clock.ts';
import type { Side } from '../types.ts';

// libvirt's migration phases, read from its own debug log. qemu_domainjob.c logs each phase
// of a migration job ("Setting 'migration out' phase to 'perform3'") at debug level, with no
// domain name; virdomainjob.c logs the job's start with the name, on the same thread. Both
// modules are turned up at run time through the admin socket (no image change), into a file
// in the host's own folder, which the harness sees at the same path and tails.

/** Modules whose debug lines carry the phases and the jobs' domains. */
const PHASE_FILTERS = '1:qemu.qemu_domainjob 1:conf.virdomainjob';

/** The debug log of a host's libvirtd, in its folder (one file across daemon restarts). */
export const phaseLogPath = (host: Host): string => join(host.workDir, `libvirtd-phases-${host.name}.log`);

/**
 * Turns the phase lines on in a host's running libvirtd. Settings made through the admin
 * socket last until the daemon ends: a restarted daemon needs this again.
 */
export async function enablePhaseLog(host: Host): Promise<void> {
  const outputs = `3:file:/var/log/libvirt/libvirtd.log 1:file:${phaseLogPath(host)}`;
  for (const args of [
    ['daemon-log-filters', PHASE_FILTERS],
    ['daemon-log-outputs', outputs],
  ]) {
    const result = await host.exec(['virt-admin', ...args], { timeoutMs: 10_000 });
    if (result.code !== 0) throw new Error(`virt-admin ${args[0]} on ${host.name}: ${result.stderr.trim()}`);
  }
}

/** One line of libvirt's log: `<date> <time>+0000: <thread>: <level> : <function>:<line> : <message>`. */
const LOG_LINE =
  /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\+0000: (\d+): (?:debug|info|warning|error) : (?:\w+:\d+ : )?(.*)$/;
const SET_PHASE = /^Setting '(migration (?:out|in))' phase to '([\w-]+)'/;
const STARTED_JOB = /^Started async job: (migration (?:out|in)) \(vm=\S+ name=([^,)]+)/;

/** A line that matters, with its own time (ms since the epoch, as libvirt wrote it). */
export type PhaseLine = { readonly at: number; readonly thread: string } & (
  | { readonly kind: 'phase'; readonly side: Side; readonly phase: string }
  | { readonly kind: 'job'; readonly side: Side; readonly domain: string }
);

const sideOf = (job: string): Side => (job === 'migration out' ? 'source' : 'destination');

export function parsePhaseLine(line: string): PhaseLine | undefined {
  const m = LOG_LINE.exec(line);
  if (!m) return undefined;
  const [, date, time, thread = '', message = ''] = m;
  const at = Date.parse(`${date}T${time}Z`);
  const phase = SET_PHASE.exec(message);
  if (phase) return { kind: 'phase', at, thread, side: sideOf(phase[1] ?? ''), phase: phase[2] ?? '' };
  const job = STARTED_JOB.exec(message);
  if (job) return { kind: 'job', at, thread, side: sideOf(job[1] ?? ''), domain: job[2] ?? '' };
  return undefined;
}

/** A phase a host's daemon entered, with the domain it belongs to when that is known. */
export interface PhaseEntered {
  readonly t: number;
  readonly side: Side;
  readonly phase: string;
  readonly domain?: string;
}

/**
 * Follows one host's phase log from its current end. A phase line is given the domain whose
 * job its thread started; a phase of a job begun on another thread (a non-P2P Finish) is
 * given the domain `inFlight` names for that host and side, when only one is migrating.
 */
export function followPhases(
  host: Host,
  clock: Clock,
  inFlight: (side: Side) => string | undefined,
  onPhase: (p: PhaseEntered) => void,
): { stop(): void } {
  const path = phaseLogPath(host);
  const threads = new Map<string, string>();
  let offset: number | undefined;
  let rest = '';
  let stopped = false;
  let busy = false;
  const poll = async (): Promise<void> => {
    if (busy || stopped) return;
    busy = true;
    const file = await open(path, 'r').catch(() => undefined);
    try {
      if (!file) return;
      const size = (await file.stat()).size;
      offset ??= size; // lines written before the guest arrived are someone else's
      if (size < offset) offset = 0;
      if (size === offset) return;
      const buffer = Buffer.alloc(size - offset);
      await file.read(buffer, 0, buffer.length, offset);
      offset = size;
      // Each phase is dated by its own line (the host shares the harness's wall clock): it is
      // read a little later, and a status event may arrive in between.
      const now = clock();
      const wall = Date.now();
      const lines = (rest + buffer.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = parsePhaseLine(line);
        if (!parsed) continue;
        if (parsed.kind === 'job') threads.set(parsed.thread, parsed.domain);
        else {
          const domain = threads.get(parsed.thread) ?? inFlight(parsed.side);
          const t = now - Math.min(Math.max(0, wall - parsed.at), now);
          onPhase({ t, side: parsed.side, phase: parsed.phase, ...(domain !== undefined && { domain }) });
        }
      }
    } finally {
      await file?.close();
      busy = false;
    }
  };
  // Faults placed at a phase strike from here: poll often (a read of nothing is cheap).
  void poll();
  const timer = setInterval(() => void poll().catch(() => undefined), 25);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
