// The layers of harness/ hold: no folder imports one above it, judges stay pure, nothing is
// circular (rules in .dependency-cruiser.cjs, checked by dependency-cruiser).
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from './util/command.ts';

const ROOT = join(import.meta.dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

describe('architecture', () => {
  it('imports go down the layers only, judges are pure, nothing is circular', async () => {
    const result = await runCommand(
      [DEPCRUISE, 'harness', 'bench', 'suites', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
      {
        timeoutMs: 120_000,
        env: { ...process.env, FORCE_COLOR: '0' },
        cwd: ROOT,
      },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 120_000);

  it('catches an import from a lower layer to a higher one, and a judge that reads files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cutover-layers-'));
    try {
      await cp(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { allowImportingTsExtensions: true, noEmit: true, module: 'nodenext' } }),
      );
      for (const folder of ['util', 'cli', 'judging']) await mkdir(join(dir, 'harness', folder), { recursive: true });
      await writeFile(join(dir, 'harness/cli/main.ts'), 'export const main = 1;\n');
      await writeFile(
        join(dir, 'harness/util/clock.ts'),
        "import { main } from '../cli/main.ts';\nexport const clock = main;\n",
      );
      await writeFile(
        join(dir, 'harness/judging/mig.ts'),
        "import { readFileSync } from 'node:fs';\nexport const judge = readFileSync;\n",
      );
      const result = await runCommand(
        [DEPCRUISE, 'harness', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
        {
          timeoutMs: 120_000,
          env: { ...process.env, FORCE_COLOR: '0' },
          cwd: dir,
        },
      );
      expect(result.code).not.toBe(0);
      expect(result.stdout).toMatch(/util-imports-no-higher-layer: harness\/util\/clock\.ts → harness\/cli\/main\.ts/);
      expect(result.stdout).toMatch(/judges-stay-pure: harness\/judging\/mig\.ts → (node:)?fs/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
