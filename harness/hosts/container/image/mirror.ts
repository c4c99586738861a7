// Which Debian mirror this machine's apt uses: the host images come from the same one
// (it is the only package registry the machine may reach). Read at run time, never written
// into the code.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

const SOURCES_LIST = '/etc/apt/sources.list';
const SOURCES_DIR = '/etc/apt/sources.list.d';

/** Entries of a deb822 `.sources` file (stanzas separated by blank lines). Only `deb`
 *  types, only enabled stanzas; comment lines are ignored. */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  const stanzas = text.split(/\n\s*\n/);
  for (const stanza of stanzas) {
    const fields = new Map<string, string>();
    let current: string | undefined;
    for (const raw of stanza.split('\n')) {
      if (/^\s*#/.test(raw)) continue;
      if (/^\s+\S/.test(raw) && current !== undefined) {
        fields.set(current, `${fields.get(current) ?? ''} ${raw.trim()}`);
        continue;
      }
      const m = /^([\w-]+):\s*(.*)$/.exec(raw);
      if (m) {
        current = (m[1] ?? '').toLowerCase();
        fields.set(current, (m[2] ?? '').trim());
      }
    }
    const words = (key: string): string[] => (fields.get(key) ?? '').split(/\s+/).filter((w) => w !== '');
    if (!words('types').includes('deb')) continue;
    if (/^(no|false)$/i.test(fields.get('enabled') ?? '')) continue;
    for (const uri of words('uris')) out.push({ uri, suites: words('suites'), components: words('components') });
  }
  return out;
}

/** Entries of one-line `sources.list` text: `deb [opts] URI SUITE COMPONENT...`. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    if (!m) continue;
    out.push({ uri: m[1] ?? '', suites: [m[2] ?? ''], components: (m[3] ?? '').split(/\s+/).filter((w) => w !== '') });
  }
  return out;
}

/** The main archive among the sources: not the security archive, a suite that is a
 *  release (not -updates, -security, -backports), an http(s) URI; a URI whose path ends
 *  in /debian wins over third-party archives. Trailing slash removed. */
export function pickDebianMirror(sources: readonly AptSource[]): string | undefined {
  const isRelease = (suite: string): boolean =>
    suite !== '' && !/[-/](updates|security|backports|proposed-updates)$/.test(suite);
  const usable = sources.filter(
    (s) => /^https?:\/\//.test(s.uri) && !/security/.test(s.uri) && s.suites.some(isRelease),
  );
  const candidate = usable.find((s) => /\/debian\/*$/.test(s.uri)) ?? usable[0];
  return candidate?.uri.replace(/\/+$/, '');
}

/** Reads /etc/apt/sources.list.d/*.sources, *.list and /etc/apt/sources.list (in that
 *  order: Debian 12 writes debian.sources) and returns the main archive's URI. */
export async function discoverDebianMirror(root = '/'): Promise<string> {
  const sources: AptSource[] = [];
  const dir = join(root, SOURCES_DIR);
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  // debian.sources first: it is the distribution's own.
  names.sort((a, b) => Number(b === 'debian.sources') - Number(a === 'debian.sources'));
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(text));
    else if (name.endsWith('.list')) sources.push(...parseOneLineSources(text));
  }
  sources.push(...parseOneLineSources(await readFile(join(root, SOURCES_LIST), 'utf8').catch(() => '')));
  const mirror = pickDebianMirror(sources);
  if (mirror === undefined) {
    throw new Error(
      `no Debian archive found in ${dir}/*.sources or ${join(root, SOURCES_LIST)}: cannot debootstrap host images`,
    );
  }
  return mirror;
}
