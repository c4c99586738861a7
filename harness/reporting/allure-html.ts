import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { makeDirectory } from '../util/fs.ts';
import type { Certificate } from './certificate.ts';

const run = promisify(execFile);
const ALLURE = resolve(dirname(fileURLToPath(import.meta.url)), '../../node_modules/.bin/allure');

export type AllureOutcome = { readonly html: string } | { readonly skipped: string };

/** Builds the Allure HTML as one self-contained file (it opens from disk); needs Java. */
export async function generateAllureHtml(resultsDir: string, outDir: string): Promise<AllureOutcome> {
  const java = await run('java', ['-version'], { timeout: 20_000 }).then(
    () => true,
    () => false,
  );
  if (!java)
    return {
      skipped:
        'Java is not installed, so no Allure HTML (allure-results are there; `apt-get install default-jre-headless` to get it)',
    };
  if (!existsSync(ALLURE)) return { skipped: 'allure-commandline is not installed (run `npm ci`)' };
  try {
    await run(ALLURE, ['generate', resultsDir, '-o', outDir, '--clean', '--single-file'], { timeout: 180_000 });
  } catch (err) {
    return { skipped: `allure generate failed: ${(err as { stderr?: string }).stderr?.split('\n')[0] ?? String(err)}` };
  }
  return { html: join(outDir, 'index.html') };
}

/** The system under test as Allure's "Environment" panel shows it (environment.properties). */
export async function writeAllureEnvironment(resultsDir: string, sut: Certificate['sut']): Promise<void> {
  const { versions, ...rest } = sut;
  const rows = [...Object.entries(rest), ...Object.entries(versions)].filter(([, v]) => v !== undefined);
  // .properties: keys escape spaces and separators, values need no escaping for these texts.
  const escapeKey = (k: string): string => k.replace(/([ :=\\])/g, '\\$1');
  await makeDirectory(resultsDir);
  await writeFile(
    join(resultsDir, 'environment.properties'),
    `${rows.map(([k, v]) => `${escapeKey(k)}=${String(v)}`).join('\n')}\n`,
  );
}
