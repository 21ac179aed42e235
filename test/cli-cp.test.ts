// `aiofs cp` end to end, as a user runs it: bytes (sha256) across sizes and filesystems, cp(1)'s rules
// for modes, directories and the same file, and failures (ENOSPC, signals) that leave no partial copy.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, cliCommand, runCli, sha256 } from './support/cli.js';
import { describeFilesystems, mountDisk, useFilesystems, useSmallExt4, useSmallTmpfs } from './support/filesystems.js';

const MiB = 1024 * 1024;
const SIZES = [0, 1, 511, 4095, 4096, 4097, 65537, MiB - 1, MiB + 1, 8 * MiB + 12345, 40 * MiB + 3];

const filesystems = await useFilesystems('cli-cp');
const fullTmpfs = await useSmallTmpfs('cli-cp', '8m');
const fullExt4 = await useSmallExt4('cli-cp', 16);
const sources = await mountDisk('cli-cp-sources');
afterAll(() => sources.cleanup());
console.log(`aiofs cp tests on:\n${describeFilesystems([...filesystems, fullTmpfs, fullExt4])}`);

/** A source file of `size` random bytes on the default disk. */
function source(size: number, name = `src-${size}.bin`): string {
  const file = path.join(sources.dir, name);
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(size));
  return file;
}

/** `'SRC' -> 'DST': N bytes (...) in S s, R MB/s; read: ..., write: ...`, as printed off a terminal. */
const SUMMARY =
  /^'(.+)' -> '(.+)': (\d+) bytes \([^)]+\) in \d+\.\d{3} s, \d+\.\d MB\/s(, flushed)?; read: (kernel-aio|node-fs \(.+\)), write: (kernel-aio|node-fs \(.+\))\n$/;

beforeAll(() => {
  for (const size of SIZES) source(size);
});

describe.each(filesystems)('aiofs cp onto $name', (target) => {
  it.skipIf(target.skipReason !== undefined)('copies files of every size byte for byte, one summary line each', () => {
    for (const size of SIZES) {
      const src = source(size);
      const dst = path.join(target.dir, `copy-${size}.bin`);
      const run = runCli(['cp', src, dst]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.length).toBe(0);
      const summary = SUMMARY.exec(run.stderr);
      expect(summary, run.stderr).not.toBeNull();
      expect(summary?.slice(1, 4)).toEqual([src, dst, String(size)]);
      // tmpfs has no direct I/O: aiofs writes there through node:fs, and says why.
      if (target.name === 'tmpfs') expect(summary?.[6]).toMatch(/^node-fs \(.*no direct I\/O/);
      else expect(summary?.[6]).toBe('kernel-aio');
      expect(fs.statSync(dst).size).toBe(size);
      expect(sha256(dst)).toBe(sha256(src));
      fs.rmSync(dst);
    }
  });
});

describe('aiofs cp options and cp(1) rules', () => {
  const disk = filesystems[0]!;
  const dir = (name: string) => fs.mkdtempSync(path.join(disk.dir, `${name}-`));

  it('--flush and --cache bypass copy the same bytes; --flush is reported', () => {
    const src = source(8 * MiB + 12345);
    const work = dir('options');
    for (const options of [['--flush'], ['--cache', 'bypass'], ['--cache=auto', '--flush']]) {
      const dst = path.join(work, options.join(''));
      const run = runCli(['cp', ...options, src, dst]);
      expect(run.status, run.stderr).toBe(0);
      expect(sha256(dst)).toBe(sha256(src));
      expect(SUMMARY.exec(run.stderr)?.[4]).toBe(options.includes('--flush') ? ', flushed' : undefined);
    }
  });

  it("gives a new file SRC's permission bits less the umask; an existing DST keeps its inode and mode", () => {
    const src = source(4097, 'mode-src.bin');
    fs.chmodSync(src, 0o754);
    const work = dir('mode');
    const fresh = path.join(work, 'fresh');
    const shell = spawnSync('sh', ['-c', `umask 027 && exec ${cliCommand(['cp', src, fresh])}`], { encoding: 'utf8' });
    expect(shell.status, shell.stderr).toBe(0);
    expect(fs.statSync(fresh).mode & 0o7777).toBe(0o750);

    const existing = path.join(work, 'existing');
    fs.writeFileSync(existing, randomBytes(3 * MiB), { mode: 0o600 });
    fs.chmodSync(existing, 0o600);
    const inode = fs.statSync(existing).ino;
    const run = runCli(['cp', src, existing]);
    expect(run.status, run.stderr).toBe(0);
    const after = fs.statSync(existing);
    expect({ ino: after.ino, mode: after.mode & 0o7777, size: after.size }).toEqual({ ino: inode, mode: 0o600, size: 4097 });
    expect(sha256(existing)).toBe(sha256(src));
  });

  it('copies into a directory under the base name, several sources at once', () => {
    const a = source(1000, 'into-a.bin');
    const b = source(70000, 'into-b.bin');
    const work = dir('into');
    const run = runCli(['cp', a, b, work]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(2);
    expect(sha256(path.join(work, 'into-a.bin'))).toBe(sha256(a));
    expect(sha256(path.join(work, 'into-b.bin'))).toBe(sha256(b));

    const notDir = path.join(work, 'plain');
    const refused = runCli(['cp', a, b, notDir]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`aiofs cp: target '${notDir}' is not a directory\n`);
    expect(fs.existsSync(notDir)).toBe(false);
  });

  it('refuses to copy a file onto itself (same path, hard link, or the directory holding it), leaving it intact', () => {
    const work = dir('same');
    const file = path.join(work, 'data.bin');
    fs.copyFileSync(source(MiB + 1), file);
    const link = path.join(work, 'link.bin');
    fs.linkSync(file, link);
    const before = sha256(file);
    for (const [dst, named] of [
      [file, file],
      [link, link],
      [work, path.join(work, 'data.bin')],
    ]) {
      const run = runCli(['cp', file, dst!]);
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(`aiofs cp: '${file}' and '${named}' are the same file\n`);
      expect(fs.statSync(file).size).toBe(MiB + 1);
      expect(sha256(file)).toBe(before);
    }
  });

  it('says in one line why a source cannot be copied, and creates nothing', () => {
    const work = dir('missing');
    const missing = path.join(work, 'nope');
    const dst = path.join(work, 'dst');
    const run = runCli(['cp', missing, dst]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`aiofs cp: cannot open '${missing}': ENOENT: no such file or directory\n`);
    expect(fs.existsSync(dst)).toBe(false);

    const folder = runCli(['cp', work, dst]);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toBe(`aiofs cp: '${work}' is a directory (aiofs cp copies files)\n`);

    const uncreatable = path.join(work, 'no-such-dir', 'dst');
    const create = runCli(['cp', source(10, 'small.bin'), uncreatable]);
    expect(create.status).toBe(1);
    expect(create.stderr).toBe(`aiofs cp: cannot create '${uncreatable}': ENOENT: no such file or directory\n`);
  });

  it('copies onto a device (/dev/null) without truncating or removing it', () => {
    const run = runCli(['cp', source(MiB + 1), '/dev/null']);
    expect(run.status, run.stderr).toBe(0);
    expect(SUMMARY.exec(run.stderr)?.[3]).toBe(String(MiB + 1));
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});

describe.each([fullTmpfs, fullExt4])('aiofs cp onto a full $description', (full) => {
  it.skipIf(full.skipReason !== undefined)(
    'exits 1 with one ENOSPC line and leaves no partial file; --keep-partial keeps a true prefix',
    () => {
      const src = source(24 * MiB, 'too-big.bin');
      const dst = path.join(full.dir, 'too-big.bin');
      const run = runCli(['cp', src, dst]);
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(`aiofs cp: error writing '${dst}': ENOSPC: no space left on device (removed the partial copy)\n`);
      expect(fs.readdirSync(full.dir).filter((name) => name !== 'lost+found')).toEqual([]);

      // An existing DST was truncated before the failure: what is left is no copy either, so it goes too.
      fs.writeFileSync(dst, 'old contents');
      const over = runCli(['cp', src, dst]);
      expect(over.status).toBe(1);
      expect(over.stderr).toMatch(/ENOSPC: no space left on device \(removed the partial copy\)\n$/);
      expect(fs.existsSync(dst)).toBe(false);

      const kept = runCli(['cp', '--keep-partial', src, dst]);
      expect(kept.status).toBe(1);
      const bytes = Number(/\(kept the partial copy: (\d+) bytes\)\n$/.exec(kept.stderr)?.[1]);
      expect(kept.stderr).toMatch(new RegExp(`^aiofs cp: error writing '${dst}': ENOSPC: no space left on device`));
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThan(24 * MiB);
      const partial = fs.readFileSync(dst);
      expect(partial.length).toBe(bytes);
      expect(partial.equals(fs.readFileSync(src).subarray(0, bytes))).toBe(true);
      fs.rmSync(dst);
    },
  );
});

describe('aiofs cp stopped by a signal', () => {
  it('removes the partial copy and exits 128+2 on SIGINT', async () => {
    const work = fs.mkdtempSync(path.join(filesystems[0]!.dir, 'signal-'));
    const fifo = path.join(work, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const dst = path.join(work, 'dst');
    const child = spawn(process.execPath, [CLI, 'cp', fifo, dst], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = once(child, 'exit') as Promise<[number | null]>;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The writer: a first part of the data, then the copy is interrupted while waiting for more.
    const writer = fs.openSync(fifo, 'w');
    fs.writeSync(writer, randomBytes(3 * MiB));
    for (let waited = 0; !(fs.existsSync(dst) && fs.statSync(dst).size > 0); waited += 20) {
      expect(waited, 'the copy never started writing').toBeLessThan(20_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    // A read waiting on an idle writer would hold destroy() (as with fs's streams): end the writer too.
    await new Promise((resolve) => setTimeout(resolve, 200));
    fs.closeSync(writer);
    const [code] = await exited;
    expect(code).toBe(130);
    expect(stderr).toBe(`aiofs cp: interrupted by SIGINT while copying '${fifo}' to '${dst}' (removed the partial copy)\n`);
    expect(fs.existsSync(dst)).toBe(false);
  });
});
