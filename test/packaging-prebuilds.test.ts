// The shipped binaries are the ones built from today's sources: scripts/prebuildify.sh records the sha256
// of binding.gyp, every file in native/ and each binary in prebuilds/SHA256SUMS. A change to the sources
// without `npm run prebuildify` fails here, so a stale prebuild can never ship silently.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const REBUILD = 'sources or binaries differ from prebuilds/SHA256SUMS: run `npm run prebuildify`';

/** path -> sha256, from `sha256sum` output. */
function recorded(): Map<string, string> {
  const lines = readFileSync(join(root, 'prebuilds/SHA256SUMS'), 'utf8').trim().split('\n');
  return new Map(
    lines.map((line) => {
      const [hash, path] = line.split(/\s+\*?/);
      return [path!, hash!];
    }),
  );
}

const hashOf = (path: string): string =>
  createHash('sha256')
    .update(readFileSync(join(root, path)))
    .digest('hex');

const objdumpMissing = spawnSync('objdump', ['--version']).status !== 0 ? 'objdump (binutils) is not installed' : false;
if (objdumpMissing) console.log(`skipping the symbol-version check: ${objdumpMissing}`);

describe('prebuilds/', () => {
  it('were built from the current binding.gyp and native/ sources', () => {
    const sources = ['binding.gyp', ...readdirSync(join(root, 'native')).map((name) => `native/${name}`)].sort();
    const record = recorded();
    const recordedSources = [...record.keys()].filter((path) => !path.startsWith('prebuilds/')).sort();
    expect(recordedSources, REBUILD).toEqual(sources);
    for (const path of sources) expect(hashOf(path), `${path}: ${REBUILD}`).toBe(record.get(path));
  });

  it('hold exactly the binaries that build made, for linux-x64 and linux-arm64', () => {
    const record = recorded();
    const binaries = [...record.keys()].filter((path) => path.startsWith('prebuilds/')).sort();
    expect(binaries).toEqual(['prebuilds/linux-arm64/aiofs.node', 'prebuilds/linux-x64/aiofs.node']);
    for (const path of binaries) expect(hashOf(path), `${path}: ${REBUILD}`).toBe(record.get(path));
  });

  it.skipIf(objdumpMissing)('linux-x64 needs glibc 2.17 and libstdc++ GLIBCXX_3.4.29 at most (README: platforms)', () => {
    const symbols = spawnSync('objdump', ['-T', join(root, 'prebuilds/linux-x64/aiofs.node')], { encoding: 'utf8' }).stdout;
    const versions = (prefix: string): number[][] =>
      [...symbols.matchAll(new RegExp(`\\(${prefix}_([0-9.]+)\\)`, 'g'))].map((match) => match[1]!.split('.').map(Number));
    const newest = (list: number[][]): string => list.reduce((a, b) => (compare(a, b) >= 0 ? a : b)).join('.');
    expect(newest(versions('GLIBC'))).toBe('2.17');
    expect(newest(versions('GLIBCXX'))).toBe('3.4.29');
  });
});

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
