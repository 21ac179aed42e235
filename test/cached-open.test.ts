/**
 * The cached open of whole-file reads (native/open_regular.cc): a path is opened with O_PATH, fstat'ed,
 * and only a regular file is opened for reading, through its /proc/self/fd link (the very inode fstat
 * described), or, where /proc is not mounted, by its path again with the inode checked. What is not a
 * regular file (a FIFO) is never opened by aiofs: node:fs's readFile reads it, as it would have.
 *
 * Needs a fresh dist/ (npm run build).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dist = path.resolve(__dirname, '../dist');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiofs-cached-open-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/**
 * A child that reads `file` (cached first) and `fifo` (a writer writes "from the writer" into it) with
 * aiofs/promises' readFile, and prints what it read and the cached-open counters.
 */
const READER = `
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const fsp = require(${JSON.stringify(path.join(dist, 'promises.js'))});
const aiofs = require(${JSON.stringify(path.join(dist, 'index.js'))});
const [file, fifo] = process.argv.slice(1);
(async () => {
  fs.readFileSync(file); // cached, dentries included
  await fsp.readFile(file); // the context exists from here
  const before = aiofs.contextStats();
  const bytes = await fsp.readFile(file);
  const after = aiofs.contextStats();
  const writer = spawn('sh', ['-c', 'printf "from the writer" > "$0"', fifo], { stdio: 'ignore' });
  const writerDone = new Promise((resolve) => writer.on('exit', resolve));
  const fromFifo = await fsp.readFile(fifo, 'utf8');
  await writerDone;
  console.log(JSON.stringify({
    procMounted: fs.existsSync('/proc/self/fd'),
    sha: require('node:crypto').createHash('sha256').update(bytes).digest('hex'),
    cachedOpens: after.cachedOpens - before.cachedOpens,
    cachedOpenMisses: after.cachedOpenMisses - before.cachedOpenMisses,
    fromFifo,
  }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

function files(): { file: string; fifo: string; sha: string } {
  const dir = fs.mkdtempSync(path.join(root, 'case-'));
  const file = path.join(dir, 'data.bin');
  const bytes = randomBytes(12345);
  fs.writeFileSync(file, bytes);
  const fifo = path.join(dir, 'fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  return { file, fifo, sha: createHash('sha256').update(bytes).digest('hex') };
}

/** Runs READER (through `wrapper`, a command line before node, if any); resolves with what it printed. */
function runReader(wrapper: string[], file: string, fifo: string): Promise<Record<string, unknown>> {
  const command = [...wrapper, process.execPath, '-e', READER, file, fifo];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as Record<string, unknown>);
      else reject(new Error(`reader exited ${code}: ${err}`));
    });
  });
}

describe('the cached open of readFile', () => {
  it('reads a cached regular file from the dentry cache, and leaves a FIFO to node, which reads what its writer wrote', async () => {
    const { file, fifo, sha } = files();
    expect(await runReader([], file, fifo)).toEqual({
      procMounted: true,
      sha,
      cachedOpens: 1,
      cachedOpenMisses: 0,
      fromFifo: 'from the writer',
    });
  });

  it('where /proc is not mounted (as root: a mount namespace without it), opens the path again, checked', async (ctx) => {
    if (process.env.LD_PRELOAD?.includes('libasan')) {
      // scripts/asan.sh preloads ASan's runtime into every process, and it stops the process when it
      // cannot read /proc/PID/task ("LeakSanitizer has encountered a fatal error").
      console.log("skipped: under AddressSanitizer's preloaded runtime, which needs /proc");
      ctx.skip();
      return;
    }
    const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'umount -l /proc && test ! -e /proc/self']);
    if (probe.status !== 0) {
      console.log(
        `skipped: cannot unmount /proc in a mount namespace here (${String(probe.stderr).trim() || `status ${probe.status}`})`,
      );
      ctx.skip();
      return;
    }
    const { file, fifo, sha } = files();
    const wrapper = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'umount -l /proc && exec "$@"', 'sh'];
    expect(await runReader(wrapper, file, fifo)).toEqual({
      procMounted: false,
      sha,
      cachedOpens: 1,
      cachedOpenMisses: 0,
      fromFifo: 'from the writer',
    });
  });
});
