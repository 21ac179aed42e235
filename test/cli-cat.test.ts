// `aiofs cat` end to end: files and stdin to stdout in order, cat(1)'s handling of unreadable files,
// a reader that goes away (| head -c 10), and a full output.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { cliCommand, runCli } from './support/cli.js';
import { mountDisk } from './support/filesystems.js';

const MiB = 1024 * 1024;
const disk = await mountDisk('cli-cat');
afterAll(() => disk.cleanup());

function file(name: string, size: number): { path: string; bytes: Buffer } {
  const bytes = randomBytes(size);
  const where = path.join(disk.dir, name);
  fs.writeFileSync(where, bytes);
  return { path: where, bytes };
}

const small = file('small.bin', 4097);
const empty = file('empty.bin', 0);
const large = file('large.bin', 40 * MiB + 3);

describe('aiofs cat', () => {
  it('writes the files in order, byte for byte', () => {
    const run = runCli(['cat', small.path, empty.path, large.path, small.path]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.equals(Buffer.concat([small.bytes, large.bytes, small.bytes]))).toBe(true);
  });

  it('reads stdin for - (once: a second - finds it at its end) and when given no file', () => {
    const input = randomBytes(300_000);
    const mixed = runCli(['cat', small.path, '-', small.path, '-'], { input });
    expect(mixed.status, mixed.stderr).toBe(0);
    expect(mixed.stdout.equals(Buffer.concat([small.bytes, input, small.bytes]))).toBe(true);
    const bare = runCli(['cat'], { input });
    expect(bare.status, bare.stderr).toBe(0);
    expect(bare.stdout.equals(input)).toBe(true);
  });

  it('reports an unreadable file in one line, writes the others, and exits 1', () => {
    const missing = path.join(disk.dir, 'missing');
    const run = runCli(['cat', small.path, missing, disk.dir, small.path]);
    expect(run.status).toBe(1);
    expect(run.stdout.equals(Buffer.concat([small.bytes, small.bytes]))).toBe(true);
    expect(run.stderr).toBe(
      `aiofs cat: cannot open '${missing}': ENOENT: no such file or directory\n` +
        `aiofs cat: error reading '${disk.dir}': EISDIR: illegal operation on a directory\n`,
    );
  });

  it('stops quietly with status 0 when the reader goes away (| head -c 10)', () => {
    // The large file five times over: far more than the pipe holds, so cat must meet EPIPE.
    const args = ['cat', ...Array<string>(5).fill(large.path)];
    const shell = spawnSync('bash', ['-c', `${cliCommand(args)} | head -c 10; echo "cat exited \${PIPESTATUS[0]}" >&2`], {
      timeout: 60_000,
    });
    expect(shell.status).toBe(0);
    expect(shell.stdout.equals(large.bytes.subarray(0, 10))).toBe(true);
    expect(shell.stderr.toString()).toBe('cat exited 0\n');
  });

  it('says so when the output fails (/dev/full) and exits 1', () => {
    const shell = spawnSync('sh', ['-c', `${cliCommand(['cat', small.path])} > /dev/full`], { encoding: 'utf8' });
    expect(shell.status).toBe(1);
    expect(shell.stderr).toBe('aiofs cat: write error: ENOSPC: no space left on device\n');
  });
});
