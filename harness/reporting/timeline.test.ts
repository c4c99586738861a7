import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '../observation/types.ts';
import { handoverWindows, placeLabels, renderTimeline } from './timeline.ts';

const fixture = (name: string): Observation =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../judging/fixtures', `${name}.json`), 'utf8')) as Observation;

describe('timeline', () => {
  it('keeps labels apart: a second row for a crowded one, none when no row has room', () => {
    const placed = placeLabels(
      [
        { x: 0, text: 'inmigrate' },
        { x: 10, text: 'running' },
        { x: 20, text: 'paused' },
        { x: 200, text: 'gone' },
      ],
      2,
    );
    expect(placed.map((l) => `${l.text}:${l.row}`)).toEqual(['inmigrate:0', 'running:1', 'gone:0']);
  });

  it('shades the watch after the end across both lanes, saying how long and against what', () => {
    const svg = renderTimeline(fixture('qemu-7.2-precopy'));
    expect(svg).toMatch(/class="watch"><title>watched 5\.\d s \(no host keeps a keepalive: a fixed 5 s\)<\/title>/);
    expect(svg).toContain('watch after the end (MIG-08)');
    expect(renderTimeline(fixture('qemu-7.2-cancel'))).not.toContain('class="watch"');
  });

  it('draws what the disk guest read wrong, with a legend, on a real observation', () => {
    const svg = renderTimeline(fixture('qemu-7.2-pcs-storage-stream-bad-reads'));
    expect(svg).toContain('<title>wrong data read</title>');
    expect(svg).toContain('wrong data read (disk guest)');
    expect(svg).toMatch(/postcopy|completed/);
  });

  it('has no disk legend for the memory guest', () => {
    expect(renderTimeline(fixture('qemu-7.2-precopy'))).not.toContain('(disk guest)');
  });

  it('draws the SPICE handover: the client moving until SPICE_MIGRATE_COMPLETED, then the source kept until it ended', () => {
    const obs = fixture('qemu-7.2-spice-unreachable-target');
    const [moving, kept] = handoverWindows(obs);
    expect((moving?.to ?? 0) - (moving?.from ?? 0)).toBeGreaterThan(9_900);
    expect(kept?.text).toBe('source kept');
    const svg = renderTimeline(obs);
    expect(svg).toContain('client moving 10.0 s');
    expect(svg).toMatch(/source kept \d+ ms/);
    expect(renderTimeline(fixture('qemu-7.2-precopy'))).not.toContain('handover');
  });

  it('says what its colours stand for: the statuses this migration went through, and the pools where sampled', () => {
    const p2p = renderTimeline(fixture('libvirt-9.0-p2p-crossed'));
    expect(p2p).toContain('>completed</text>');
    expect(p2p).toContain('pool: none free (qN: calls queued)');
    expect(p2p).toMatch(/>q2<\/text>/);
    const precopy = renderTimeline(fixture('qemu-7.2-precopy'));
    expect(precopy).not.toContain('pool:');
    expect(precopy).not.toContain('>failed</text>');
  });
});
