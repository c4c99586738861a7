// Bad input, generated: scenario files broken in the ways people break them (a wrong type, a
// missing or unknown field, a step out of order, a name that does not exist, broken YAML,
// an alias bomb, binary junk). Each must give one clear line that names the file, never a
// stack; a few go through the CLI itself and must exit 2 having written nothing.
import fc from 'fast-check';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { cutover } from './e2e-helpers.ts';
import { findRequirement } from '../requirements/catalog.ts';
import { UsageError } from '../util/errors.ts';
import { parseScenario } from '../scenario/load.ts';

const FILE = 'scenarios/broken.yaml';
const valid = readFileSync(join(import.meta.dirname, '../../scenarios/pcs/source-lost-setup.yaml'), 'utf8');
const known = (id: string): boolean => findRequirement(id) !== undefined;

type Doc = Record<string, unknown> & { steps: Array<Record<string, unknown>> };
const base = (): Doc => parseYaml(valid) as Doc;

const junk = fc.oneof(
  fc.integer(),
  fc.string(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
  fc.boolean(),
  fc.double(),
);
const fieldOfStep = fc.constantFrom(
  'do',
  'side',
  'passes',
  'within',
  'to',
  'transport',
  'status',
  'kind',
  'at',
  'guest',
);
const topField = fc.constantFrom('name', 'description', 'judges', 'hosts', 'guest', 'guests', 'steps', 'driver');

/** One way to break a valid scenario document, as text. */
const breakage: fc.Arbitrary<{ what: string; text: string }> = fc.oneof(
  fc.record({ field: topField, value: junk }).map(({ field, value }) => {
    const doc = base();
    (doc as Record<string, unknown>)[field] = value;
    return { what: `top-level ${field} = ${JSON.stringify(value)}`, text: stringify(doc) };
  }),
  fc.record({ field: topField }).map(({ field }) => {
    const doc = base();
    delete doc[field];
    return { what: `no ${field}`, text: stringify(doc) };
  }),
  fc.record({ step: fc.nat({ max: 5 }), field: fieldOfStep, value: junk }).map(({ step, field, value }) => {
    const doc = base();
    const target = doc.steps[step % doc.steps.length] as Record<string, unknown>;
    target[field] = value;
    return { what: `steps[${step}].${field} = ${JSON.stringify(value)}`, text: stringify(doc) };
  }),
  fc.record({ from: fc.nat({ max: 5 }), to: fc.nat({ max: 5 }) }).map(({ from, to }) => {
    const doc = base();
    const [moved] = doc.steps.splice(from % doc.steps.length, 1);
    doc.steps.splice(to % (doc.steps.length + 1), 0, moved as Record<string, unknown>);
    return { what: `step ${from} moved to ${to}`, text: stringify(doc) };
  }),
  fc.constantFrom('gamma', 'nowhere', '').map((host) => {
    const doc = base();
    doc.steps.push({ do: 'migrate', to: host });
    return { what: `a migrate to ${host}`, text: stringify(doc) };
  }),
  fc
    .record({ cut: fc.nat({ max: 2000 }), noise: fc.constantFrom('\t', ': :', '[', '{', '"', '&a', '*b', '- - -') })
    .map(({ cut, noise }) => ({
      what: `text cut at ${cut} with ${JSON.stringify(noise)}`,
      text: valid.slice(0, cut % valid.length) + noise + valid.slice(cut % valid.length),
    })),
  fc
    .uint8Array({ minLength: 1, maxLength: 200 })
    .map((bytes) => ({ what: 'binary junk', text: Buffer.from(bytes).toString('latin1') })),
  fc.integer({ min: 10, max: 40 }).map((width) => ({
    what: `an alias bomb ${width} wide`,
    text: [
      'a: &a [x]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(width)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ),
    ].join('\n'),
  })),
);

/** Either it loads (some breakages leave a valid file), or it says so in one line naming the file. */
function outcome(text: string): 'loaded' | string {
  try {
    parseScenario(text, FILE, known);
    return 'loaded';
  } catch (err) {
    if (!(err instanceof UsageError)) throw new Error(`not a UsageError: ${(err as Error).stack}`);
    return err.message;
  }
}

describe('malformed scenario files', () => {
  it('each gets one line that names the file (and the line, where there is one), never a stack', () => {
    fc.assert(
      fc.property(breakage, ({ text }) => {
        const result = outcome(text);
        if (result === 'loaded') return;
        expect(result).not.toContain('\n');
        expect(result.startsWith(FILE)).toBe(true);
        expect(result).not.toMatch(/\bat .*\.ts:\d+/);
      }),
      { numRuns: 400 },
    );
  });

  it('most breakages are refused, not silently accepted', () => {
    const samples = fc.sample(breakage, { numRuns: 200, seed: 42 });
    const refused = samples.filter(({ text }) => outcome(text) !== 'loaded').length;
    expect(refused / samples.length).toBeGreaterThan(0.6);
  });

  it('through the CLI: exit 2, one line on stderr, nothing written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cutover-malformed-'));
    try {
      const cases = fc
        .sample(breakage, { numRuns: 40, seed: 7 })
        .filter(({ text }) => outcome(text) !== 'loaded')
        .slice(0, 4);
      for (const [i, { what, text }] of cases.entries()) {
        const file = join(dir, `broken-${i}.yaml`);
        await writeFile(file, text);
        const out = join(dir, `reports-${i}`);
        const result = await cutover(['scenario', file, '--out', out]);
        expect(result.code, `${what}: ${result.stderr}`).toBe(2);
        expect(result.stderr.trimEnd().split('\n'), what).toHaveLength(1);
        expect(result.stderr).toMatch(/^cutover: .*broken-\d\.yaml/);
        expect(await readdir(out).catch(() => [])).toEqual([]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('malformed run options', () => {
  it('a faster clock or side-by-side families on real hosts, or a scale out of range: exit 2, one line that says why, nothing written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cutover-options-'));
    try {
      for (const [args, says] of [
        [
          ['--hosts', 'process', '--time-scale', '10'],
          /--jobs and --time-scale are for --hosts emulated: .*this run: --hosts process/,
        ],
        [['--hosts', 'container', '--jobs', '2'], /--jobs and --time-scale are for --hosts emulated/],
        [['--hosts', 'emulated', '--time-scale', '50'], /--time-scale 50: not a number from 1 to 20/],
      ] as const) {
        const out = join(dir, 'reports');
        const result = await cutover(['run', ...args, '--out', out]);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(says);
        expect(await readdir(out).catch(() => [])).toEqual([]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
