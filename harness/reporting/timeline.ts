import type { Side } from '../drivers/types.ts';
import { SIDES } from '../drivers/vocabulary.ts';
import type { Observation, RunStateSample } from '../observation/types.ts';

// A migration timeline as SVG: per side, when the guest made progress (from its serial
// line), its boots, the run states sampled, and the migration's status changes. Downtime
// and a second runner show at a glance.

const WIDTH = 1000;
const LEFT = 110;
const LANE = 40;
const STATUS_COLORS: Record<string, string> = {
  setup: '#d9c36a',
  active: '#6a9fd9',
  'postcopy-active': '#9b6ad9',
  completed: '#5fb35f',
  failed: '#d95f5f',
  cancelled: '#d9905f',
  cancelling: '#d9905f',
  'postcopy-paused': '#d95fa8',
};

/** Roughly how wide a 10 px label is: enough to keep labels from running into each other. */
const CHAR_PX = 5.6;

export interface PlacedLabel {
  readonly x: number;
  readonly text: string;
  readonly row: number;
}

/**
 * Puts labels (in time order) on the first of `rows` rows where they do not run into the one
 * before, pulled left where they would leave the picture; a label that fits nowhere is left
 * out (its tick or bar still carries a tooltip).
 */
export function placeLabels(
  labels: ReadonlyArray<{ x: number; text: string }>,
  rows: number,
  maxX = WIDTH - 4,
): PlacedLabel[] {
  const freeFrom = new Array<number>(rows).fill(-Infinity);
  const placed: PlacedLabel[] = [];
  for (const label of labels) {
    const width = label.text.length * CHAR_PX;
    const x = Math.min(label.x, maxX - width);
    const row = freeFrom.findIndex((from) => x >= from);
    if (row < 0) continue;
    freeFrom[row] = x + width + 4;
    placed.push({ x, text: label.text, row });
  }
  return placed;
}

/** What the disk-reading guest found, drawn as ticks at the foot of its lane. */
const DISK_FINDINGS = [
  { key: 'badReads', color: '#e08a1e', text: 'wrong data read' },
  { key: 'zeroReads', color: '#d62728', text: 'zeros read' },
  { key: 'diskErrors', color: '#7b4fb3', text: 'failed read' },
] as const;

export function renderTimeline(obs: Observation): string {
  const end = Math.max(obs.durationMs, 1);
  const x = (t: number): number => LEFT + (Math.max(0, Math.min(t, end)) / end) * (WIDTH - LEFT - 20);
  const parts: string[] = [];
  const sides: Side[] = ['source', 'destination'];
  sides.forEach((side, i) => {
    const top = 48 + i * (LANE + 34);
    parts.push(`<text x="8" y="${top + 20}" class="lane">${side}</text>`);
    parts.push(`<rect x="${LEFT}" y="${top}" width="${WIDTH - LEFT - 20}" height="${LANE}" class="bg"/>`);
    // Progress, binned to 2 px so tens of thousands of passes stay a small file.
    const bins = new Set(obs.progress[side].passes.map((t) => Math.round(x(t) / 2)));
    for (const bin of [...bins].sort((a, b) => a - b))
      parts.push(`<rect x="${bin * 2}" y="${top + 12}" width="2" height="${LANE - 12}" class="pass"/>`);
    for (const t of obs.progress[side].boots)
      parts.push(
        `<path d="M${x(t)} ${top + 12} l-5 -10 h10 z" class="boot"><title>boot at ${t.toFixed(0)} ms</title></path>`,
      );
    for (const finding of DISK_FINDINGS) {
      const times = obs.progress[side][finding.key] ?? [];
      const bins = new Set(times.map((t) => Math.round(x(t) / 2)));
      for (const bin of bins)
        parts.push(
          `<rect x="${bin * 2}" y="${top + LANE - 8}" width="2" height="8" fill="${finding.color}"><title>${finding.text}</title></rect>`,
        );
    }
    // Run-state changes as ticks above the lane, their labels on two rows so they stay apart.
    const changes: RunStateSample[] = [];
    for (const s of obs.states) if (s.side === side && s.state !== changes.at(-1)?.state) changes.push(s);
    for (const s of changes)
      parts.push(
        `<line x1="${x(s.t)}" y1="${top - 10}" x2="${x(s.t)}" y2="${top}" class="tick"><title>${s.state} at ${s.t.toFixed(0)} ms</title></line>`,
      );
    for (const label of placeLabels(
      changes.map((s) => ({ x: x(s.t) + 2, text: s.state })),
      2,
    )) {
      parts.push(`<text x="${label.x}" y="${top - 3 - label.row * 11}" class="state">${label.text}</text>`);
    }
  });
  // The watch after the end (MIG-08): both lanes, where a second runner would show.
  if (obs.settle) {
    const { from, until, endedBy, basis } = obs.settle;
    const words =
      endedBy === 'bound'
        ? `watched ${formatWindow(until - from)} (${basis})`
        : `watched until one copy was left (${formatWindow(until - from)})`;
    parts.push(
      `<rect x="${x(from)}" y="44" width="${Math.max(1, x(until) - x(from))}" height="${2 * LANE + 38}" class="watch"><title>${escapeXml(words)}</title></rect>`,
    );
  }
  const statusTop = 48 + 2 * (LANE + 34);
  parts.push(`<text x="8" y="${statusTop + 12}" class="lane">migration</text>`);
  const changes = obs.events.filter((e) => e.side === 'source' && e.migrationStatus);
  changes.forEach((e, i) => {
    const until = changes[i + 1]?.t ?? end;
    const color = STATUS_COLORS[e.migrationStatus ?? ''] ?? '#aaa';
    parts.push(
      `<rect x="${x(e.t)}" y="${statusTop}" width="${Math.max(1, x(until) - x(e.t))}" height="16" fill="${color}"><title>${e.migrationStatus} at ${e.t.toFixed(1)} ms</title></rect>`,
    );
  });
  const statusLabels = changes.filter((e, i) => e.migrationStatus !== changes[i - 1]?.migrationStatus);
  for (const label of placeLabels(
    statusLabels.map((e) => ({ x: x(e.t) + 2, text: e.migrationStatus ?? '' })),
    3,
  )) {
    parts.push(`<text x="${label.x}" y="${statusTop + 28 + label.row * 11}" class="state">${label.text}</text>`);
  }
  // The SPICE handover: from completion until the client has moved, then until the source ends.
  const handover = handoverWindows(obs);
  const handoverTop = statusTop + 60;
  if (handover.length) parts.push(`<text x="8" y="${handoverTop + 12}" class="lane">handover</text>`);
  // A span too narrow for its words gets them beside it, all such words in one label.
  const beside: string[] = [];
  for (const w of handover) {
    const width = Math.max(1, x(w.to) - x(w.from));
    const text = `${w.text} ${formatWindow(w.to - w.from)}`;
    parts.push(
      `<rect x="${x(w.from)}" y="${handoverTop}" width="${width}" height="16" fill="${w.color}"><title>${text}</title></rect>`,
    );
    if (text.length * CHAR_PX < width - 6)
      parts.push(`<text x="${x(w.from) + 3}" y="${handoverTop + 12}" class="state">${text}</text>`);
    else beside.push(text);
  }
  const lastEnd = handover.at(-1)?.to ?? 0;
  for (const label of placeLabels(beside.length ? [{ x: x(lastEnd) + 4, text: beside.join(', ') }] : [], 1)) {
    parts.push(`<text x="${label.x}" y="${handoverTop + 12}" class="state">${label.text}</text>`);
  }
  // The protocol's phases (Begin, Prepare, Perform, Finish, Confirm), a lane per side that reported any.
  const phasesTop = handover.length ? handoverTop + 26 : statusTop + 56;
  const phaseSides = SIDES.filter((side) => obs.events.some((e) => e.side === side && e.phase !== undefined));
  phaseSides.forEach((side, i) => {
    const top = phasesTop + i * 26;
    parts.push(`<text x="8" y="${top + 12}" class="lane">${side === 'source' ? 'src' : 'dst'} phases</text>`);
    const entered = obs.events.filter((e) => e.side === side && e.phase !== undefined);
    entered.forEach((e, k) => {
      const until = entered[k + 1]?.t ?? Math.min(end, e.t + end / 100);
      parts.push(
        `<rect x="${x(e.t)}" y="${top}" width="${Math.max(1, x(until) - x(e.t))}" height="16" fill="${phaseColor(e.phase ?? '', k)}"><title>${escapeXml(e.phase ?? '')} at ${e.t.toFixed(1)} ms</title></rect>`,
      );
    });
    for (const label of placeLabels(
      entered.map((e) => ({ x: x(e.t) + 2, text: e.phase ?? '' })),
      1,
    ))
      parts.push(`<text x="${label.x}" y="${top + 12}" class="state">${escapeXml(label.text)}</text>`);
  });
  // Daemon worker pools, where sampled: red while no worker is free, with the queue depth.
  const poolHosts = [...new Set(obs.daemons.map((s) => s.host))];
  const poolsTop = phasesTop + phaseSides.length * 26;
  poolHosts.forEach((host, i) => {
    const top = poolsTop + i * 26;
    parts.push(`<text x="8" y="${top + 12}" class="lane">${escapeXml(host)} pool</text>`);
    const samples = obs.daemons.filter((s) => s.host === host).sort((a, b) => a.t - b.t);
    const queueLabels: Array<{ x: number; text: string }> = [];
    samples.forEach((s, k) => {
      const until = samples[k + 1]?.t ?? end;
      const starved = s.pool.freeWorkers === 0;
      parts.push(
        `<rect x="${x(s.t)}" y="${top}" width="${Math.max(1, x(until) - x(s.t))}" height="16" fill="${starved ? '#d95f5f' : '#9fd49f'}"><title>${s.pool.freeWorkers} of ${s.pool.nWorkers} free, ${s.pool.jobQueueDepth} queued</title></rect>`,
      );
      if (s.pool.jobQueueDepth > 0 && samples[k - 1]?.pool.jobQueueDepth !== s.pool.jobQueueDepth)
        queueLabels.push({ x: x(s.t) + 2, text: `q${s.pool.jobQueueDepth}` });
    });
    // Over the bars, not under the next one; one row, so crowded changes keep the first.
    for (const label of placeLabels(queueLabels, 1))
      parts.push(`<text x="${label.x}" y="${top + 12}" class="state" fill="white">${label.text}</text>`);
  });
  const marks = [
    ...(obs.deadlock
      ? [
          { t: obs.deadlock.onsetAt, text: 'deadlock onset' },
          { t: obs.deadlock.declaredAt, text: 'deadlock declared' },
        ]
      : []),
    ...obs.faults.map((f) => ({ t: f.t, text: [f.kind, f.target.side, f.target.host].filter(Boolean).join(' ') })),
    // The SPICE handover window: from completion to the client's move and the source's end.
    ...obs.events
      .filter((e) => e.side === 'source' && e.name === 'SPICE_MIGRATE_COMPLETED')
      .map((e) => ({ t: e.t, text: 'SPICE_MIGRATE_COMPLETED' })),
    ...(obs.exits.source ? [{ t: obs.exits.source.t, text: 'source QEMU ended' }] : []),
  ];
  const poolsBottom = poolsTop + poolHosts.length * 26;
  marks.forEach((m, i) => {
    const nearEnd = x(m.t) > WIDTH - 140;
    const y = poolsBottom + 10 + (i % 3) * 11; // staggered: marks close in time stay readable
    parts.push(`<line x1="${x(m.t)}" y1="40" x2="${x(m.t)}" y2="${y - 8}" class="mark"/>`);
    parts.push(
      `<text x="${x(m.t) + (nearEnd ? -2 : 2)}" y="${y}" class="state" text-anchor="${nearEnd ? 'end' : 'start'}">${escapeXml(m.text)}</text>`,
    );
  });
  const axisTop = poolsBottom + (marks.length ? 10 + Math.min(marks.length, 3) * 11 : 0) + 12;
  for (let k = 0; k <= 10; k++) {
    const t = (end * k) / 10;
    parts.push(`<text x="${x(t)}" y="${axisTop}" class="axis">${(t / 1000).toFixed(1)}s</text>`);
  }
  parts.push(
    `<rect x="${LEFT}" y="${axisTop + 12}" width="10" height="10" class="pass"/><text x="${LEFT + 14}" y="${axisTop + 21}" class="state">guest progress (a pass over its memory or disk, from its serial line)</text>`,
  );
  parts.push(
    `<path d="M${LEFT + 385} ${axisTop + 22} l-5 -10 h10 z" class="boot"/><text x="${LEFT + 394}" y="${axisTop + 21}" class="state">guest boot</text>`,
  );
  parts.push(
    `<text x="${LEFT + 470}" y="${axisTop + 21}" class="state">labels above a lane: run state (sampled)</text>`,
  );
  if (obs.settle)
    parts.push(
      `<rect x="${LEFT + 700}" y="${axisTop + 12}" width="10" height="10" class="watch"/><text x="${LEFT + 714}" y="${axisTop + 21}" class="state">watch after the end (MIG-08)</text>`,
    );
  const found = DISK_FINDINGS.filter((f) => sides.some((side) => (obs.progress[side][f.key] ?? []).length > 0));
  found.forEach((f, i) => {
    const left = LEFT + i * 130;
    parts.push(
      `<rect x="${left}" y="${axisTop + 30}" width="3" height="8" fill="${f.color}"/><text x="${left + 6}" y="${axisTop + 37}" class="state">${f.text} (disk guest)</text>`,
    );
  });
  // What the colours of the migration lane (and the pools, where sampled) stand for.
  const colourTop = axisTop + 30 + (found.length ? 16 : 0);
  const colours = [
    ...[...new Set(changes.map((e) => e.migrationStatus ?? ''))]
      .filter(Boolean)
      .map((status) => ({ color: STATUS_COLORS[status] ?? '#aaa', text: status })),
    ...(poolHosts.length
      ? [
          { color: '#9fd49f', text: 'pool: a worker free' },
          { color: '#d95f5f', text: 'pool: none free (qN: calls queued)' },
        ]
      : []),
  ];
  let colourX = LEFT;
  for (const c of colours) {
    parts.push(
      `<rect x="${colourX}" y="${colourTop}" width="10" height="10" fill="${c.color}"/><text x="${colourX + 14}" y="${colourTop + 9}" class="state">${escapeXml(c.text)}</text>`,
    );
    colourX += 14 + c.text.length * CHAR_PX + 14;
  }
  const height = colourTop + (colours.length ? 18 : 2);
  // The driver's versions, then what the hosts run (libvirt's driver knows only its virsh).
  const hostVersions = Object.values(obs.hosts ?? {}).flatMap((h) =>
    Object.entries(h.description ?? {}).filter(([k]) => k !== 'image'),
  );
  const versions = [...new Map([...Object.entries(obs.driver.versions), ...hostVersions]).entries()]
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const title = `${obs.scenario.name}: ${obs.driver.name} on ${obs.hostKind} hosts (${versions}${obs.driver.accelerator ? `, ${obs.driver.accelerator}` : ''})`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">
<style>.lane{font-size:13px;font-weight:bold}.state{font-size:10px;fill:#333}.axis{font-size:10px;fill:#666;text-anchor:middle}.bg{fill:#f3f3f3}.tick{stroke:#888}.mark{stroke:#c0392b;stroke-dasharray:4 3}.pass{fill:#3a7d44}.boot{fill:#c0392b}.watch{fill:#6a9fd9;fill-opacity:0.12;stroke:#6a9fd9;stroke-dasharray:2 2}</style>
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="20" font-size="14">${escapeXml(title)}</text>
${parts.join('\n')}
</svg>
`;
}

/** The handover's two spans: completion to SPICE_MIGRATE_COMPLETED, then on to the source's end. */
export function handoverWindows(obs: Observation): Array<{ from: number; to: number; text: string; color: string }> {
  const completed = obs.events.find((e) => e.side === 'source' && e.migrationStatus === 'completed')?.t;
  const moved = obs.events.find((e) => e.side === 'source' && e.name === 'SPICE_MIGRATE_COMPLETED')?.t;
  if (completed === undefined || moved === undefined) return [];
  const windows = [{ from: completed, to: moved, text: 'client moving', color: '#f0c27a' }];
  const ended = obs.exits.source?.t;
  if (ended !== undefined && ended >= moved)
    windows.push({ from: moved, to: ended, text: 'source kept', color: '#c9c9c9' });
  return windows;
}

/** Phases that undo a migration in red; the others in alternating pale colours. */
function phaseColor(phase: string, index: number): string {
  if (/cancel|fail/.test(phase)) return '#f4a6a0';
  return index % 2 ? '#c6dbef' : '#d9ead3';
}

function formatWindow(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}
