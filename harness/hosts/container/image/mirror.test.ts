import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverDebianMirror, parseDeb822Sources, parseOneLineSources, pickDebianMirror } from './mirror.ts';

// Example hosts only (RFC 2606): the real mirror is read at run time.
const DEB822 = `Types: deb
# http://snapshot.example.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.example.org/archive/debian-security/20250520T000000Z
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

const ONE_LINE = `# deb http://old.example.org/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example.net/debian/ bookworm main contrib
deb http://security.example.net/debian-security bookworm-security main
deb-src http://mirror.example.net/debian bookworm main
deb http://mirror.example.net/debian bookworm-updates main # updates
`;

describe('parsing', () => {
  it('reads deb822 stanzas, skipping comment lines', () => {
    expect(parseDeb822Sources(DEB822)).toEqual([
      { uri: 'http://mirror.example.org/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main'] },
      { uri: 'http://mirror.example.org/debian-security', suites: ['bookworm-security'], components: ['main'] },
    ]);
  });

  it('skips deb-src and disabled stanzas, and reads several URIs', () => {
    const text =
      'Types: deb-src\nURIs: http://a.example/debian\nSuites: bookworm\n\nTypes: deb\nEnabled: no\nURIs: http://b.example/debian\nSuites: bookworm\n\nTypes: deb deb-src\nURIs: http://c.example/debian http://d.example/debian\nSuites: trixie\n';
    expect(parseDeb822Sources(text).map((s) => s.uri)).toEqual(['http://c.example/debian', 'http://d.example/debian']);
  });

  it('reads one-line entries with and without options, ignoring comments and deb-src', () => {
    expect(parseOneLineSources(ONE_LINE)).toEqual([
      { uri: 'http://mirror.example.net/debian/', suites: ['bookworm'], components: ['main', 'contrib'] },
      { uri: 'http://security.example.net/debian-security', suites: ['bookworm-security'], components: ['main'] },
      { uri: 'http://mirror.example.net/debian', suites: ['bookworm-updates'], components: ['main'] },
    ]);
  });
});

describe('pickDebianMirror', () => {
  it('takes the main archive, not security or updates, without a trailing slash', () => {
    expect(pickDebianMirror(parseDeb822Sources(DEB822))).toBe('http://mirror.example.org/debian');
    expect(pickDebianMirror(parseOneLineSources(ONE_LINE))).toBe('http://mirror.example.net/debian');
  });

  it('prefers a /debian archive over a third-party one listed first', () => {
    const sources = [
      { uri: 'https://deb.example.com/node_20.x', suites: ['nodistro'], components: ['main'] },
      { uri: 'http://mirror.example.org/debian', suites: ['bookworm'], components: ['main'] },
    ];
    expect(pickDebianMirror(sources)).toBe('http://mirror.example.org/debian');
  });

  it('has no answer for security-only or non-http sources', () => {
    expect(
      pickDebianMirror(parseOneLineSources('deb http://security.example.net/debian-security bookworm-security main\n')),
    ).toBeUndefined();
    expect(pickDebianMirror(parseOneLineSources('deb file:/srv/debian bookworm main\n'))).toBeUndefined();
    expect(pickDebianMirror([])).toBeUndefined();
  });
});

describe('discoverDebianMirror', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    root = undefined;
  });

  async function machine(files: Record<string, string>): Promise<string> {
    root = await mkdtemp(join(tmpdir(), 'cutover-mirror-'));
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    for (const [path, text] of Object.entries(files)) await writeFile(join(root, path), text);
    return root;
  }

  it('reads debian.sources first (Debian 12), ignoring other files', async () => {
    const r = await machine({
      'etc/apt/sources.list.d/debian.sources': DEB822,
      'etc/apt/sources.list.d/aaa.list': 'deb https://deb.example.com/node_20.x nodistro main\n',
      'etc/apt/sources.list.d/old.sources.disabled': 'Types: deb\nURIs: http://x.example/debian\nSuites: bookworm\n',
    });
    await expect(discoverDebianMirror(r)).resolves.toBe('http://mirror.example.org/debian');
  });

  it('falls back to the one-line /etc/apt/sources.list', async () => {
    const r = await machine({ 'etc/apt/sources.list': ONE_LINE });
    await expect(discoverDebianMirror(r)).resolves.toBe('http://mirror.example.net/debian');
  });

  it('says what it looked at when there is no archive', async () => {
    const r = await machine({});
    await expect(discoverDebianMirror(r)).rejects.toThrow(/no Debian archive found in .*sources\.list/);
  });

  it.skipIf(!existsSync('/etc/apt'))('finds one on this machine', async () => {
    await expect(discoverDebianMirror()).resolves.toMatch(/^https?:\/\/\S+[^/]$/);
  });
});
