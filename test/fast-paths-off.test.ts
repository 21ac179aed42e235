/**
 * Where a fast path cannot work, aiofs says why in contextStats().fastPathsOff and takes the other way,
 * with node's results and errors:
 * - the cached open (openat2 with RESOLVE_CACHED) on a kernel without openat2 (ENOSYS), without
 *   RESOLVE_CACHED (EINVAL), or behind a seccomp filter that refuses it (EPERM): each played by running
 *   node under test/support/deny-openat2.c, whose filter fails every openat2 with that errno;
 * - RWF_NOWAIT reads on a filesystem that refuses them (tmpfs on this kernel: EOPNOTSUPP).
 *
 * Needs a fresh dist/ (npm run build) and a C compiler for the filter (the test says so and skips without).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loaded } from '../dist/binding.js';
import { backend, contextStats, createReadStream } from '../dist/index.js';
import * as aiofs from '../dist/promises.js';
import { mountTmpfs } from './support/filesystems';

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`fast-paths-off: skipped, backend is node-fs (${backend.reason})`);

const dist = path.resolve(__dirname, '../dist');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiofs-fast-paths-off-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** test/support/deny-openat2.c built into `dir`: its path, or why it could not be built. */
function buildFilter(): { path: string } | { skipReason: string } {
  const out = path.join(dir, 'deny-openat2');
  const cc = process.env.CC ?? 'cc';
  const built = spawnSync(cc, ['-O2', path.join(__dirname, 'support', 'deny-openat2.c'), '-o', out], { encoding: 'utf8' });
  if (built.error || built.status !== 0)
    return { skipReason: `${cc} could not build the filter: ${built.error?.message ?? built.stderr.trim()}` };
  return { path: out };
}
const filter = buildFilter();
if ('skipReason' in filter) console.log(`[fast-paths-off] the openat2 tests skip: ${filter.skipReason}`);

/**
 * A child that reads `file` with readFile and a read stream, and a missing path with readFile, through
 * aiofs, and prints what it read, the error, and the counters.
 */
const CHILD = `
const fsp = require(${JSON.stringify(path.join(dist, 'promises.js'))});
const aiofs = require(${JSON.stringify(path.join(dist, 'index.js'))});
const [file, missing] = process.argv.slice(1);
(async () => {
  const read = await fsp.readFile(file, 'latin1');
  const chunks = [];
  for await (const chunk of aiofs.createReadStream(file)) chunks.push(chunk);
  const error = await fsp.readFile(missing).catch((e) => ({ code: e.code, errno: e.errno, syscall: e.syscall, message: e.message }));
  const { fastPathsOff, cachedOpens, cachedOpenMisses } = aiofs.contextStats();
  console.log(JSON.stringify({ read, streamed: Buffer.concat(chunks).toString('latin1'), error, fastPathsOff, cachedOpens, cachedOpenMisses }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe.skipIf(!kernel)('without the cached open', () => {
  const file = path.join(dir, 'data');
  const contents = 'x'.repeat(5000) + 'the end';
  fs.writeFileSync(file, contents);
  const missing = path.join(dir, 'missing');
  const nodeError = (() => {
    try {
      fs.readFileSync(missing);
    } catch (e) {
      const { code, errno, syscall, message } = e as NodeJS.ErrnoException;
      return { code, errno, syscall, message };
    }
  })();

  it.for([
    ['ENOSYS', 'Linux before 5.6'],
    ['EINVAL', 'no RESOLVE_CACHED, Linux before 5.12'],
    ['EPERM', 'a seccomp filter'],
  ] as const)(
    "openat2 failing with %s (%s): opens go to a pool thread, reads and errors are node:fs's, and fastPathsOff says why",
    ([name], ctx) => {
      if ('skipReason' in filter) return ctx.skip();
      const errno = os.constants.errno[name];
      const child = spawnSync(filter.path, [String(errno), process.execPath, '-e', CHILD, file, missing], { encoding: 'utf8' });
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      const out = JSON.parse(child.stdout);
      expect(out).toMatchObject({ read: contents, streamed: contents, error: nodeError, cachedOpens: 0 });
      expect(out.cachedOpenMisses).toBeGreaterThanOrEqual(1);
      expect(out.fastPathsOff).toEqual([
        `cached open: openat2 with RESOLVE_CACHED failed with ${name}; opens go to a pool thread`,
      ]);
    },
  );

  it('while openat2 works, nothing is off', async () => {
    expect(await aiofs.readFile(file, 'latin1')).toBe(contents);
    expect(contextStats()!.fastPathsOff.filter((reason) => reason.startsWith('cached open'))).toEqual([]);
  });
});

/** Why RWF_NOWAIT reads of files in `dir` are not refused here (a reason to skip), or undefined. */
function nowaitNotRefused(dir: string): string | undefined {
  const probe = path.join(dir, 'probe');
  fs.writeFileSync(probe, 'probe');
  const fd = fs.openSync(probe, 'r');
  const refused = loaded.binding!.readCached(fd, Buffer.alloc(16), 0);
  fs.closeSync(fd);
  return refused === -os.constants.errno.EOPNOTSUPP
    ? undefined
    : `tmpfs does not refuse RWF_NOWAIT reads on this kernel (readCached: ${refused})`;
}

const NOWAIT_REFUSED =
  'RWF_NOWAIT reads: refused (EOPNOTSUPP) by a filesystem, whose files are read through kernel AIO or a pool thread';

describe.skipIf(!kernel)('on a filesystem that refuses RWF_NOWAIT reads', () => {
  let tmpfs: Awaited<ReturnType<typeof mountTmpfs>> | undefined;
  let skipWhy: string | undefined;
  beforeAll(async () => {
    tmpfs = await mountTmpfs('fast-paths-off', '16m');
    skipWhy = tmpfs.skipReason ?? nowaitNotRefused(tmpfs.dir);
    if (skipWhy !== undefined) console.log(`[fast-paths-off] skipped: ${skipWhy}`);
  });
  afterAll(() => tmpfs?.cleanup());

  it('readFile and a read stream read the file by the other ways, and fastPathsOff says so', async (ctx) => {
    if (skipWhy !== undefined) return ctx.skip();
    const file = path.join(tmpfs!.dir, 'data');
    const contents = Buffer.alloc(200_000, 'tmpfs ');
    fs.writeFileSync(file, contents);
    expect((await aiofs.readFile(file)).equals(contents)).toBe(true);
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream(file)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(contents)).toBe(true);
    expect(contextStats()!.fastPathsOff).toContain(NOWAIT_REFUSED);
  });

  it("the callback readFile(fd) reads node's bytes from there, and fastPathsOff says why (in a fresh process)", (ctx) => {
    if (skipWhy !== undefined) return ctx.skip();
    const file = path.join(tmpfs!.dir, 'small');
    fs.writeFileSync(file, 'ab'.repeat(3000));
    const script = `
      const aiofs = require(${JSON.stringify(path.join(dist, 'index.js'))});
      const fd = aiofs.openSync(process.argv[1], 'r');
      aiofs.readSync(fd, Buffer.alloc(100), 0, 100, null);
      aiofs.readFile(fd, 'latin1', (error, read) => {
        if (error) throw error;
        console.log(JSON.stringify({ read, fastPathsOff: aiofs.contextStats().fastPathsOff }));
      });`;
    const child = spawnSync(process.execPath, ['-e', script, file], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout);
    expect(out.read).toBe('ab'.repeat(3000).slice(100));
    expect(out.fastPathsOff).toEqual([NOWAIT_REFUSED]);
  });
});
