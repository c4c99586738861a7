// `cutover doctor`: what this machine has of PREREQUISITES, and the exact fix for each gap.
import { existsSync } from 'node:fs';
import { installFix } from './apt.ts';
import { prerequisitesFor, type Prerequisite } from './prerequisites.ts';
import { probe, realProbeDeps, type ProbeDeps, type ProbeResult } from './probe.ts';

export interface Check {
  id: string;
  purpose: string;
  present: boolean;
  version?: string;
  detail?: string;
  required: boolean;
  /** An exact command that fixes a missing piece. */
  fix?: string;
}

export interface MachineFacts {
  root: boolean;
  /** systemd runs services here (else daemons are started by hand). */
  systemd: boolean;
}

export function realMachineFacts(): MachineFacts {
  return { root: process.getuid?.() === 0, systemd: existsSync('/run/systemd/system') };
}

export interface InspectOptions {
  families?: string[];
  /** For tests: canned probes and machine facts. */
  deps?: ProbeDeps;
  facts?: MachineFacts;
}

export const SETUP_COMMAND = 'npx cutover setup';

function startDaemonCommand(daemon: { binary: string; unit: string; logFile: string }, facts: MachineFacts): string {
  if (facts.systemd) return `${facts.root ? '' : 'sudo '}systemctl start ${daemon.unit}`;
  // Parenthesised so that `install && start` does not send the install to the background too.
  const background = `(nohup ${daemon.binary} >${daemon.logFile} 2>&1 &)`;
  return facts.root ? background : `sudo sh -c '${background}'`;
}

/** The exact command that fixes what the probe found, if there is one. */
export function fixFor(prereq: Prerequisite, result: ProbeResult, facts: MachineFacts): string | undefined {
  if (result.present) return undefined;
  const { detect } = prereq;
  const sudo = facts.root ? '' : 'sudo ';
  const install = prereq.packages.length > 0 ? installFix(prereq.packages, facts.root) : undefined;

  if (detect.kind === 'daemon') {
    const start = startDaemonCommand(detect.daemon, facts);
    switch (result.problem) {
      case 'absent':
      case 'no-daemon':
        // Without systemd the package's postinst cannot start the daemon: do it too.
        return install === undefined ? undefined : facts.systemd ? install : `${install} && ${start}`;
      case 'not-running':
      case 'timeout':
        return start;
      case 'no-permission':
        return `${sudo}usermod -aG ${detect.daemon.group} "$USER"  # then log in again`;
      default:
        return undefined;
    }
  }
  if (detect.kind === 'device') {
    if (result.problem === 'no-permission') return `${sudo}usermod -aG ${detect.group} "$USER"  # then log in again`;
    return undefined; // no package makes a device appear; whenAbsent says what happens instead
  }
  // A binary that is there but fails or hangs needs a look, not a blind reinstall.
  return result.problem === 'absent' ? install : undefined;
}

function toCheck(prereq: Prerequisite, result: ProbeResult, facts: MachineFacts): Check {
  const check: Check = { id: prereq.id, purpose: prereq.purpose, present: result.present, required: prereq.required };
  if (result.version !== undefined) check.version = result.version;
  const detail =
    !result.present && prereq.whenAbsent !== undefined
      ? [result.detail, prereq.whenAbsent].filter((d) => d !== undefined).join('; ')
      : result.detail;
  if (detail !== undefined) check.detail = detail;
  const fix = fixFor(prereq, result, facts);
  if (fix !== undefined) check.fix = fix;
  return check;
}

/** Probes every prerequisite of the given families (all when unset), concurrently,
 *  each within its own deadline. Never throws for a missing tool. */
export async function inspectMachine(opts: InspectOptions = {}): Promise<Check[]> {
  const prereqs = prerequisitesFor(opts.families);
  const deps = opts.deps ?? realProbeDeps;
  const facts = opts.facts ?? realMachineFacts();
  const results = await Promise.all(prereqs.map((p) => probe(p, deps)));
  return prereqs.map((p, i) => toCheck(p, results[i] ?? { present: false, installed: false }, facts));
}

/** True when every required prerequisite is present: the CLI's exit status. */
export function doctorOk(checks: readonly Check[]): boolean {
  return checks.every((c) => c.present || !c.required);
}

function status(c: Check): string {
  if (c.present) return 'ok';
  return c.required ? 'MISSING' : 'missing (optional)';
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** One aligned line per check (status, id, version, detail), the fix indented below,
 *  then a summary line. */
export function formatDoctor(checks: readonly Check[]): string {
  const rows = checks.map((c) => ({
    status: status(c),
    id: c.id,
    version: c.version ?? '-',
    note: c.present ? c.purpose : (c.detail ?? c.purpose),
    fix: c.fix,
  }));
  const w = {
    status: Math.max(0, ...rows.map((r) => r.status.length)),
    id: Math.max(0, ...rows.map((r) => r.id.length)),
    version: Math.max(0, ...rows.map((r) => r.version.length)),
  };
  const indent = ' '.repeat(w.status + 2);
  const lines: string[] = [];
  for (const r of rows) {
    lines.push(`${pad(r.status, w.status)}  ${pad(r.id, w.id)}  ${pad(r.version, w.version)}  ${r.note}`.trimEnd());
    if (r.fix !== undefined) lines.push(`${indent}fix: ${r.fix}`);
  }
  lines.push(summaryLine(checks));
  return lines.join('\n');
}

export function summaryLine(checks: readonly Check[]): string {
  const present = checks.filter((c) => c.present).length;
  const missingRequired = checks.filter((c) => !c.present && c.required).map((c) => c.id);
  const missingOptional = checks.filter((c) => !c.present && !c.required).map((c) => c.id);
  const parts = [`${present}/${checks.length} present`];
  if (missingRequired.length > 0) parts.push(`missing: ${missingRequired.join(', ')}`);
  if (missingOptional.length > 0) parts.push(`optional missing: ${missingOptional.join(', ')}`);
  if (missingRequired.length === 0) return `${parts.join('; ')} — ready.`;
  const gaps = checks.filter((c) => !c.present && c.required);
  const how = gaps.some((c) => c.fix?.includes('apt-get install') === true)
    ? `run \`${SETUP_COMMAND}\` or the fixes above`
    : gaps.some((c) => c.fix !== undefined)
      ? 'run the fixes above'
      : 'see the details above';
  return `${parts.join('; ')} — not ready: ${how}.`;
}
