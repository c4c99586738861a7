// The layers of harness/ hold: no folder imports one above it, judges stay pure and know
// nothing of the emulated target, what `cutover` runs imports no devDependency, nothing is
// circular (rules in .dependency-cruiser.cjs, checked by dependency-cruiser).
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from './util/command.ts';

const ROOT = join(import.meta.dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

describe('architecture', () => {
  it('imports go down the layers only, judges are pure, runtime needs no devDependency, nothing is circular', async () => {
    const result = await runCommand(
      [DEPCRUISE, 'harness', 'bench', 'suites', 'bin', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
      {
        timeoutMs: 120_000,
        env: { ...process.env, FORCE_COLOR: '0' },
        cwd: ROOT,
      },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 120_000);

  it('catches an import from a lower layer to a higher one, a judge that reads files or knows the emulator, and runtime code that imports a devDependency', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cutover-layers-'));
    try {
      await cp(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { allowImportingTsExtensions: true, noEmit: true, module: 'nodenext' } }),
      );
      // The project's package.json and node_modules: depcruise tells a devDependency by them.
      await cp(join(ROOT, 'package.json'), join(dir, 'package.json'));
      await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      for (const folder of ['util', 'cli', 'judging', 'emulator/qemu', 'drivers/emulated', 'hosts/emulated'])
        await mkdir(join(dir, 'harness', folder), { recursive: true });
      await writeFile(join(dir, 'harness/cli/main.ts'), 'export const main = 1;\n');
      await writeFile(
        join(dir, 'harness/util/clock.ts'),
        "import { main } from '../cli/main.ts';\nexport const clock = main;\n",
      );
      await writeFile(
        join(dir, 'harness/judging/mig.ts'),
        "import { readFileSync } from 'node:fs';\nexport const judge = readFileSync;\n",
      );
      for (const [path, name] of [
        ['emulator/qemu/main.ts', 'emulator'],
        ['drivers/emulated/index.ts', 'daemon'],
        ['hosts/emulated/bugs.ts', 'bugs'],
      ] as const)
        await writeFile(join(dir, 'harness', path), `export const ${name} = 1;\n`);
      await writeFile(
        join(dir, 'harness/judging/spice.ts'),
        [
          "import { emulator } from '../emulator/qemu/main.ts';",
          "import { daemon } from '../drivers/emulated/index.ts';",
          "import { bugs } from '../hosts/emulated/bugs.ts';",
          'export const judge = emulator + daemon + bugs;',
          '',
        ].join('\n'),
      );
      // A devDependency (typescript) in runtime code, and the same import in a test (allowed).
      const devImport = "import ts from 'typescript';\nexport const version = ts.version;\n";
      await writeFile(join(dir, 'harness/util/version.ts'), devImport);
      await writeFile(join(dir, 'harness/util/version.test.ts'), devImport);
      // A package that is only another's dependency (fast-check's pure-rand).
      await writeFile(join(dir, 'harness/util/random.ts'), "export * from 'pure-rand/distribution/uniformInt';\n");
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
      for (const target of ['emulator/qemu/main.ts', 'drivers/emulated/index.ts', 'hosts/emulated/bugs.ts'])
        expect(result.stdout).toContain(`judges-know-no-emulated-target: harness/judging/spice.ts → harness/${target}`);
      expect(result.stdout).toMatch(/runtime-imports-no-dev-dependency: harness\/util\/version\.ts → \S*typescript/);
      expect(result.stdout).not.toMatch(/harness\/util\/version\.test\.ts/);
      expect(result.stdout).toMatch(/runtime-imports-no-dev-dependency: harness\/util\/random\.ts → \S*pure-rand/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
