import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from './load.ts';
import { UsageError } from '../util/errors.ts';
import { findRequirement } from '../requirements/catalog.ts';

const known = (id: string): boolean => findRequirement(id) !== undefined;
const base = readFileSync(join(import.meta.dirname, '../../scenarios/mig/precopy.yaml'), 'utf8');
const parse = (text: string) => parseScenario(text, 'scenarios/x.yaml', known);
const errorOf = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('scenario files', () => {
  it('reads every shipped scenario', () => {
    for (const name of ['precopy', 'cancel', 'unreachable']) {
      const text = readFileSync(join(import.meta.dirname, `../../scenarios/mig/${name}.yaml`), 'utf8');
      expect(parse(text).scenario.name).toBe(name);
    }
  });

  it('turns durations and sizes into numbers', () => {
    const { scenario } = parse(base);
    const migrate = scenario.steps.find((s) => s.do === 'migrate');
    expect(migrate).toMatchObject({ maxBandwidth: 8 * 1024 ** 3, downtimeLimit: 300, transport: 'unix' });
  });

  it('names file, line and field for a wrong type', () => {
    const text = base.replace('passes: 20', 'passes: twenty');
    expect(errorOf(text)).toMatch(/^scenarios\/x\.yaml:\d+: steps\[1\]\.passes: /);
    const line = Number(/:(\d+):/.exec(errorOf(text))?.[1]);
    expect(text.split('\n')[line - 1]).toContain('passes: twenty');
  });

  it('names an unknown field', () => {
    expect(errorOf(base.replace('    to: beta', '    to: beta\n    speed: fast'))).toMatch(
      /steps\[2\].*unknown field 'speed'/,
    );
  });

  it('names a bad duration, an unknown step kind, a missing host', () => {
    expect(errorOf(base.replace('within: 60s', 'within: soon'))).toMatch(/steps\[3\]\.within: a duration like/);
    expect(errorOf(base.replace('- do: observe', '- do: dance'))).toMatch(/steps\[4\]\.do/);
    expect(errorOf(base.replace('    to: beta', '    to: gamma'))).toMatch(/:\d+: steps\[2\]\.to: no host 'gamma'/);
  });

  it('refuses unknown requirement IDs, pointing at the line', () => {
    const text = base.replace('MIG-08]', 'MIG-42]');
    const line = text.split('\n').findIndex((l) => l.includes('MIG-42')) + 1;
    expect(errorOf(text)).toMatch(
      new RegExp(`^scenarios/x\\.yaml:${line}: judges\\[5\\]: unknown requirement ID 'MIG-42'`),
    );
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf('name: x\nhosts: [a\n')).toMatch(/^scenarios\/x\.yaml:\d+: not valid YAML/);
  });

  it('checks the order of steps when the file is loaded: what a step needs must come first', () => {
    const migrateFirst = base.replace('  - do: wait-migration', '  - do: cancel\n  - do: wait-migration');
    expect(parse(migrateFirst).scenario.steps.map((s) => s.do)).toContain('cancel');
    const waitBeforeMigrate = base.replace(
      '  - do: migrate',
      '  - do: wait-migration\n    status: active\n    within: 1s\n  - do: migrate',
    );
    expect(errorOf(waitBeforeMigrate)).toMatch(
      /^scenarios\/x\.yaml:\d+: steps\[2\]\.do: wait-migration before the guest was migrated \(add a 'migrate' step before it\)$/,
    );
    const startless = base.replace('  - do: start\n', '');
    expect(errorOf(startless)).toMatch(/steps\[0\]\.do: wait-progress of the source before the guest was started/);
    const killTooEarly = base.replace(
      '  - do: migrate',
      '  - { do: fault, kind: kill, side: destination }\n  - do: migrate',
    );
    expect(errorOf(killTooEarly)).toMatch(
      /steps\[2\]\.do: fault kill of the destination before the guest was migrated/,
    );
    const armed = base.replace(
      '  - do: migrate',
      '  - { do: fault, kind: kill, side: destination, at: { status: setup } }\n  - do: migrate',
    );
    expect(parse(armed).scenario.steps[2]).toMatchObject({
      do: 'fault',
      kind: 'kill',
      at: { status: 'setup', side: 'source' },
    });
    const settleFirst = base.replace('  - do: migrate', '  - do: settle\n  - do: migrate');
    expect(errorOf(settleFirst)).toMatch(
      /steps\[2\]\.do: settle before any guest was migrated \(add a 'migrate' step before it\)$/,
    );
  });

  it('names an unknown fault kind, a fault at an unknown host, a client fault before a client', () => {
    expect(errorOf(base.replace('  - do: migrate', '  - { do: fault, kind: explode }\n  - do: migrate'))).toMatch(
      /steps\[2\]\.kind/,
    );
    expect(
      errorOf(base.replace('  - do: migrate', '  - { do: fault, kind: restart-daemon, host: gamma }\n  - do: migrate')),
    ).toMatch(/steps\[2\]\.host: no host 'gamma'/);
    expect(errorOf(base.replace('  - do: migrate', '  - { do: fault, kind: stall-client }\n  - do: migrate'))).toMatch(
      /before the SPICE client connected/,
    );
  });

  it('refuses absurd guests and YAML that would blow up, in one line', () => {
    expect(errorOf(base.replace('  on: alpha', '  on: alpha\n  memoryMiB: 100000000'))).toMatch(
      /guest\.memoryMiB: at most 8192/,
    );
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ),
    ].join('\n');
    const message = errorOf(bomb);
    expect(message).toMatch(/^scenarios\/x\.yaml(:\d+)?: /);
    expect(message).not.toContain('\n');
  });
});
