import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../util/errors.ts';
import { MAIN_GUEST } from '../observation/derive.ts';
import { ScenarioIssue, ScenarioScope, stepKind } from '../steps/index.ts';
import { scenarioSchema, type Scenario } from './schema.ts';

export interface LoadedScenario {
  readonly file: string;
  readonly scenario: Scenario;
}

type Path = ReadonlyArray<PropertyKey>;

/**
 * Reads and validates a scenario file. Any problem becomes one UsageError that names the
 * file, the line and the field, e.g. `scenarios/x.yaml:12: steps[2].within: ...`.
 */
export async function loadScenario(file: string, knownRequirement: (id: string) => boolean): Promise<LoadedScenario> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read scenario ${file}: ${err.code ?? err.message}`, 'check the path');
  });
  return parseScenario(text, file, knownRequirement);
}

export function parseScenario(text: string, file: string, knownRequirement: (id: string) => boolean): LoadedScenario {
  const shown = relative(process.cwd(), file) || file;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lines.linePos(yamlError.pos[0]).line;
    throw new UsageError(`${shown}:${line}: not valid YAML: ${yamlError.message.split('\n')[0]}`);
  }
  const where = (path: Path): string => `${shown}:${lineOf(doc, lines, path)}: ${formatPath(path)}`;

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // The YAML library's own guards (an alias bomb) end here, as a line rather than a stack.
    throw new UsageError(`${shown}: not a usable YAML document: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw new UsageError(`${where(issue.path)}: ${describeIssue(issue)}`);
  }
  const scenario = parsed.data;

  // What the schema cannot express: known IDs, names that exist, steps in an order that can play.
  scenario.judges.forEach((id, i) => {
    if (!knownRequirement(id))
      throw new UsageError(`${where(['judges', i])}: unknown requirement ID '${id}'`, 'see `npx cutover list`');
  });
  const hosts = Object.keys(scenario.hosts);
  if ('main' in scenario.guests)
    throw new UsageError(`${where(['guests', 'main'])}: 'main' is the scenario's own guest; pick another name`);
  const scope = new ScenarioScope(hosts, [MAIN_GUEST, ...Object.keys(scenario.guests)], MAIN_GUEST);
  const checkHost = (name: string, path: Path): void => {
    if (!hosts.includes(name)) throw new UsageError(`${where(path)}: no host '${name}' (hosts: ${hosts.join(', ')})`);
  };
  checkHost(scenario.guest.on, ['guest', 'on']);
  for (const [name, guest] of Object.entries(scenario.guests)) checkHost(guest.on, ['guests', name, 'on']);
  scenario.steps.forEach((step, i) => {
    try {
      stepKind(step).check?.(step, scope);
    } catch (err) {
      if (!(err instanceof ScenarioIssue)) throw err;
      throw new UsageError(`${where(['steps', i, ...err.path])}: ${err.message}`);
    }
  });
  return { file, scenario };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field '${issue.keys.join("', '")}'`;
  if (issue.code === 'invalid_union' && 'discriminator' in issue) return `unknown step kind: ${issue.message}`;
  return issue.message;
}

function formatPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** The line of the deepest node on `path` that exists in the document. */
function lineOf(doc: Document, lines: LineCounter, path: Path): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range && (depth === 0 || isMap(node) || isSeq(node) || node)) return lines.linePos(range[0]).line;
  }
  return 1;
}
