// `aiofs cp`'s progress bar, seen on a real pseudo-terminal (util-linux `script`), and its absence
// off a terminal, where one summary line is printed instead.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { cliCommand, runCli, sha256 } from './support/cli.js';
import { mountDisk } from './support/filesystems.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const disk = await mountDisk('cli-progress');
afterAll(() => disk.cleanup());
const src = path.join(disk.dir, 'src.bin');
fs.writeFileSync(src, randomBytes(SIZE));

const hasScript = spawnSync('script', ['--version']).status === 0;
const noScript = hasScript ? undefined : 'util-linux `script` is not installed (apt-get install bsdutils)';
if (noScript) console.log(`progress bar test skipped: ${noScript}`);

/** One drawing of the bar: label, bar, percent, bytes of total, rate, ETA. */
// The bar's escape sequences and its two-space separators are what it prints, matched literally.
// eslint-disable-next-line no-control-regex, no-regex-spaces
const BAR = /\r(\S+) \[([#-]+)\] +(\d+)%  ([\d.]+ (?:B|KiB|MiB)) \/ 64\.0 MiB  ([\d.]+|--) MB\/s  ETA (\d+:\d\d|--:--)\x1b\[K/g;

describe('aiofs cp progress', () => {
  it.skipIf(noScript !== undefined)('draws a bar on a terminal, then replaces it with the summary', () => {
    const dst = path.join(disk.dir, 'tty-copy.bin');
    // script -q (no banner) -f (flush) -e (child's exit status) -c (command); the typescript goes nowhere.
    const run = spawnSync('script', ['-qfec', cliCommand(['cp', src, dst]), '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(sha256(dst)).toBe(sha256(src));
    const draws = [...run.stdout.matchAll(BAR)];
    expect(draws.length, JSON.stringify(run.stdout)).toBeGreaterThanOrEqual(2);
    for (const draw of draws) expect(draw[1]).toBe('src.bin');
    const percents = draws.map((draw) => Number(draw[3]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // The first drawing comes before any byte is copied; the last, just before the summary, shows it all.
    expect(draws[0]![3]).toBe('0');
    expect(draws.at(-1)![2]).toMatch(/^#+$/);
    expect(draws.at(-1)!.slice(3, 5)).toEqual(['100', '64.0 MiB']);
    expect(run.stdout).toMatch(
      new RegExp(
        `\\r\\x1b\\[K'${src}' -> '${dst}': ${SIZE} bytes \\(64\\.0 MiB\\) in [\\d.]+ s, [\\d.]+ MB/s; read: kernel-aio, write: kernel-aio\\r?\\n$`,
      ),
    );
  });

  it('off a terminal, prints only the summary line', () => {
    const dst = path.join(disk.dir, 'pipe-copy.bin');
    const run = runCli(['cp', src, dst]);
    expect(run.status, run.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex -- no escape sequence may reach a file
    expect(run.stderr).not.toMatch(/[\r\x1b]/);
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr).toMatch(new RegExp(`^'${src}' -> '${dst}': ${SIZE} bytes`));
  });
});
