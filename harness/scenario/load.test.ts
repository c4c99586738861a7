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
    expect(errorOf(base.replace('    to: beta', '    to: beta\n    speed: fast'))).toMatch(/steps\[2\].*unknown field 'speed'/);
  });

  it('names a bad duration, an unknown step kind, a missing host', () => {
    expect(errorOf(base.replace('within: 60s', 'within: soon'))).toMatch(/steps\[3\]\.within: a duration like/);
    expect(errorOf(base.replace('- do: observe', '- do: dance'))).toMatch(/steps\[4\]\.do/);
    expect(errorOf(base.replace('    to: beta', '    to: gamma'))).toMatch(/:\d+: steps\[2\]\.to: no host 'gamma'/);
  });

  it('refuses unknown requirement IDs, pointing at the line', () => {
    const text = base.replace('MIG-08]', 'MIG-42]');
    const line = text.split('\n').findIndex((l) => l.includes('MIG-42')) + 1;
    expect(errorOf(text)).toMatch(new RegExp(`^scenarios/x\\.yaml:${line}: judges\\[5\\]: unknown requirement ID 'MIG-42'`));
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf('name: x\nhosts: [a\n')).toMatch(/^scenarios\/x\.yaml:\d+: not valid YAML/);
  });
});
