// `aiofs info` tells the truth: the backend and kernel this process has, the AIO budget from /proc,
// and for a path on tmpfs, a loop ext4 with 4096-byte sectors and the default disk, the filesystem
// (checked against findmnt), the direct-I/O alignment and whether aiofs's I/O there is asynchronous.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { runCli } from './support/cli.js';
import { describeFilesystems, useFilesystems } from './support/filesystems.js';

const filesystems = await useFilesystems('cli-info');
console.log(`aiofs info tests on:\n${describeFilesystems(filesystems)}`);
const [disk, tmpfs, ext4] = filesystems as [
  (typeof filesystems)[number],
  (typeof filesystems)[number],
  (typeof filesystems)[number],
];

interface PathReport {
  path: string;
  kind: string;
  filesystem: { name: string; magic: string; source: string | null };
  directIoAlignment: { memory: number; offset: number } | null;
  asynchronous: boolean | null;
  reason: string;
}

function infoJson(args: string[], env?: NodeJS.ProcessEnv) {
  const run = runCli(['info', '--json', ...args], { env });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.toString()) as {
    backend: { name: string; reason: string };
    kernel: string;
    aioEvents: { inUse: number; max: number };
    path?: PathReport;
  };
}

/** What util-linux says the mount holding `dir` is. */
function findmnt(dir: string): { type: string; source: string } {
  const [type, source] = spawnSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', dir], { encoding: 'utf8' })
    .stdout.trim()
    .split(/\s+/);
  return { type: type!, source: source! };
}

describe('aiofs info', () => {
  it('reports the backend, the kernel and the AIO event budget', () => {
    const report = infoJson([]);
    expect(report.backend.name).toBe(process.env.AIOFS_BACKEND === 'node-fs' ? 'node-fs' : 'kernel-aio');
    expect(report.kernel).toBe(os.release());
    expect(report.aioEvents.max).toBe(Number(fs.readFileSync('/proc/sys/fs/aio-max-nr', 'utf8')));
    expect(report.aioEvents.inUse).toBeGreaterThanOrEqual(0);
    expect(report.aioEvents.inUse).toBeLessThanOrEqual(report.aioEvents.max);
    expect(report.path).toBeUndefined();

    const text = runCli(['info']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout.toString()).toMatch(
      new RegExp(
        `^backend: +${report.backend.name}: .+\\nkernel: +Linux ${os.release().replace(/[.+]/g, '\\$&')}\\nAIO events: +\\d+ of ${report.aioEvents.max} in use`,
      ),
    );
  });

  it.skipIf(tmpfs.skipReason !== undefined)('on tmpfs: no direct I/O, so node:fs, not asynchronous kernel AIO', () => {
    const file = path.join(tmpfs.dir, 'data.bin');
    fs.writeFileSync(file, 'x'.repeat(10000));
    for (const target of [tmpfs.dir, file]) {
      const report = infoJson([target]).path!;
      expect(report).toMatchObject({
        path: target,
        kind: target === file ? 'file' : 'directory',
        filesystem: { name: 'tmpfs', magic: '0x1021994' },
        directIoAlignment: null,
        asynchronous: false,
        reason: 'the filesystem offers no direct I/O for this file (statx DIOALIGN)',
      });
    }
    const text = runCli(['info', tmpfs.dir]).stdout.toString();
    expect(text).toMatch(/\nfilesystem: +tmpfs on tmpfs \(statfs magic 0x1021994\)\n/);
    expect(text).toMatch(/\nasynchronous: +no: node:fs threadpool \(the filesystem offers no direct I\/O/);
    // The temporary file it asked with is gone.
    expect(fs.readdirSync(tmpfs.dir)).toEqual(['data.bin']);
  });

  it.skipIf(ext4.skipReason !== undefined)('on ext4 with 4096-byte sectors: kernel AIO, offsets aligned to 4096', () => {
    const file = path.join(ext4.dir, 'data.bin');
    fs.writeFileSync(file, 'x'.repeat(10000));
    const mount = findmnt(ext4.dir);
    expect(mount.type).toBe('ext4');
    for (const target of [ext4.dir, file]) {
      const report = infoJson([target]).path!;
      expect(report.filesystem).toEqual({ name: 'ext4', magic: '0xef53', source: mount.source });
      expect(report.asynchronous).toBe(true);
      expect(report.reason).toBe('regular file with direct I/O');
      expect(report.directIoAlignment?.offset).toBe(4096);
      expect([512, 1024, 2048, 4096]).toContain(report.directIoAlignment?.memory);
    }
    const text = runCli(['info', file]).stdout.toString();
    expect(text).toMatch(/\ndirect I\/O: +memory \d+, file offset 4096 bytes \(what aiofs aligns to: statx STATX_DIOALIGN\)\n/);
    expect(text).toMatch(/\nasynchronous: +yes: kernel AIO \(regular file with direct I\/O\)\n/);
    expect(fs.readdirSync(ext4.dir).sort()).toEqual(['data.bin', 'lost+found']);
  });

  it('names the default disk as findmnt does', () => {
    const report = infoJson([disk.dir]).path!;
    const mount = findmnt(disk.dir);
    expect(report.filesystem.name).toBe(mount.type);
    expect(report.filesystem.source).toBe(mount.source);
  });

  it('says a forced node-fs backend is not asynchronous, and why', () => {
    const report = infoJson([disk.dir], { AIOFS_BACKEND: 'node-fs' });
    expect(report.backend).toEqual({ name: 'node-fs', reason: 'forced by AIOFS_BACKEND=node-fs' });
    expect(report.path).toMatchObject({ asynchronous: false, reason: 'forced by AIOFS_BACKEND=node-fs' });
  });

  it('answers for a FIFO without waiting for a writer', () => {
    const fifo = path.join(disk.dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const report = infoJson([fifo]).path!;
    expect(report).toMatchObject({ kind: 'other', asynchronous: false });
    expect(report.reason).toMatch(/^not a regular file/);
  });

  it('says in one line when the path does not exist, exit status 1', () => {
    const missing = path.join(disk.dir, 'missing');
    const run = runCli(['info', missing]);
    expect(run.status).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toBe(`aiofs info: cannot open '${missing}': ENOENT: no such file or directory\n`);
  });
});
