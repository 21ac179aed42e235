// aiofs/register: node:fs's streams and fs/promises' open/readFile/writeFile/appendFile become aiofs's for
// unmodified apps, by --require, --import or a first `import`, and a real express static server then
// serves files (whole and by Range) over kernel AIO. (More libraries: register-libraries.test.ts.)
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { byteRanges } from './support/byte-ranges';
import { mountDisk, type Mounted } from './support/filesystems';
import { runFixture } from './support/run-fixture';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('aiofs/register swaps node:fs streams', () => {
  it('without it, node:fs keeps its own (the control)', () => {
    const run = runFixture('register-named-imports.mjs');
    expect(run.report).toEqual({ namedImports: false, namespace: false, required: false });
  });

  it.each([
    ['--import aiofs/register', ['--import', 'aiofs/register']],
    ['--require aiofs/register', ['--require', 'aiofs/register']],
  ])('%s: ESM named imports, the namespace and require', (_name, nodeFlags) => {
    const run = runFixture('register-named-imports.mjs', [], { nodeFlags });
    expect(run.stderr).toBe('');
    expect(run.report).toEqual({ namedImports: true, namespace: true, required: true });
  });

  it("import 'aiofs/register' as an app's first line (node:fs linked before it ran)", () => {
    const run = runFixture('register-first-import.mjs');
    expect(run.report).toEqual({ namedImports: true, namespace: true, required: true });
  });

  it('--require aiofs/register in a CommonJS app', () => {
    expect(runFixture('register-required.cjs', [], { nodeFlags: ['--require', 'aiofs/register'] }).report).toEqual({
      required: true,
    });
  });
});

interface SurfaceReport {
  aiofs: string[];
  roundTrip: boolean;
  handedToNode: boolean;
  handle: string;
  handleReadFile: boolean;
  readFile: boolean;
  readFileIo: number;
  error?: string;
}

describe('aiofs/register swaps fs/promises', () => {
  // Every way an app reaches fs/promises (register-promises.mjs checks each).
  const SURFACES = [
    'require("fs").promises',
    'require("fs/promises")',
    'require("node:fs/promises")',
    'import { open, readFile, writeFile, appendFile } from "node:fs/promises"',
    'import * as fsp from "node:fs/promises"',
    'import fsp from "node:fs/promises"',
    'import { promises } from "node:fs"',
    'import fs from "node:fs"; fs.promises',
  ];
  const FUNCTIONS = ['open', 'readFile', 'writeFile', 'appendFile'];
  let disk: Mounted;
  let runs = 0;

  beforeAll(async () => {
    disk = await mountDisk('register-promises');
  });

  afterAll(async () => {
    await disk?.cleanup();
  });

  /** Runs register-promises.mjs (or a fixture importing it) in a fresh directory on the disk. */
  function surfaces(
    fixture: string,
    nodeFlags: string[] = [],
  ): { aiofsLoaded: unknown; surfaces: Record<string, SurfaceReport> } {
    const dir = join(disk.dir, `run-${runs++}`);
    mkdirSync(dir);
    const run = runFixture(fixture, [dir], { nodeFlags });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(Object.keys(run.report.surfaces as object)).toEqual(SURFACES);
    return run.report as { aiofsLoaded: unknown; surfaces: Record<string, SurfaceReport> };
  }

  // Plain arguments (served by aiofs) and arguments handed to node's own function (a stream as data, a
  // signal) both give the right bytes: a patched function reaching itself again would overflow the stack.
  const works = { roundTrip: true, handedToNode: true, handleReadFile: true, readFile: true };

  it("without it, fs/promises keeps node's own (the control)", () => {
    const report = surfaces('register-promises.mjs');
    expect(report.aiofsLoaded).toBe(false);
    for (const name of SURFACES) {
      expect(report.surfaces[name], name).toEqual({ ...works, aiofs: [], handle: 'FileHandle', readFileIo: 0 });
    }
  });

  it.each([
    ['--require aiofs/register', 'register-promises.mjs', ['--require', 'aiofs/register']],
    ['--import aiofs/register', 'register-promises.mjs', ['--import', 'aiofs/register']],
    ["import 'aiofs/register' as an app's first line", 'register-promises-first-import.mjs', []],
  ])(
    "%s: open/readFile/writeFile/appendFile are aiofs's by every way, work, and never call themselves",
    (_name, fixture, nodeFlags) => {
      const report = surfaces(fixture, nodeFlags);
      expect(report.aiofsLoaded).toBe(true);
      for (const name of SURFACES) {
        const found = report.surfaces[name];
        expect({ ...found, readFileIo: found.readFileIo > 0 }, name).toEqual({
          ...works,
          aiofs: FUNCTIONS,
          handle: 'AioFileHandle',
          readFileIo: true,
        });
      }
    },
  );
});

interface ServerStats {
  patched: boolean;
  backend: string;
  stats: { submitted: number } | null;
}

describe.each([['--require'], ['--import']])('an unmodified express static server under %s aiofs/register', (flag) => {
  const size = 64 * 1024 * 1024 + 4321;
  const data = randomBytes(size);
  let disk: Mounted;
  let server: ChildProcessWithoutNullStreams;
  let base = '';

  beforeAll(async () => {
    disk = await mountDisk(`register${flag}`);
    writeFileSync(join(disk.dir, 'big.bin'), data);
    const script = new URL('./fixtures/register-static-server.cjs', import.meta.url).pathname;
    server = spawn(process.execPath, [flag, 'aiofs/register', script, disk.dir]);
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout }).once('line', resolve);
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    base = `http://127.0.0.1:${(JSON.parse(firstLine) as { port: number }).port}`;
  });

  afterAll(async () => {
    server?.kill();
    await disk?.cleanup();
  });

  async function serverStats(): Promise<ServerStats> {
    return (await (await fetch(`${base}/aiofs-stats`)).json()) as ServerStats;
  }

  it('serves a 64 MiB file and Range requests byte for byte, through aiofs', async () => {
    const before = await serverStats();
    expect(before.patched).toBe(true);
    expect(before.backend).toBe('kernel-aio');

    const whole = await fetch(`${base}/big.bin`);
    expect(whole.status).toBe(200);
    expect(sha256(new Uint8Array(await whole.arrayBuffer()))).toBe(sha256(data));
    const afterWhole = await serverStats();
    // 64 MiB in requests of at most 1 MiB (aiofs's default chunkSize): at least 64 went to the kernel.
    expect((afterWhole.stats?.submitted ?? 0) - (before.stats?.submitted ?? 0)).toBeGreaterThanOrEqual(64);

    for (const [range, first, last] of byteRanges(size)) {
      const part = await fetch(`${base}/big.bin`, { headers: { range } });
      expect(part.status, range).toBe(206);
      expect(part.headers.get('content-range'), range).toBe(`bytes ${first}-${last}/${size}`);
      expect(sha256(new Uint8Array(await part.arrayBuffer())), range).toBe(sha256(data.subarray(first, last + 1)));
    }
    const afterRanges = await serverStats();
    expect(afterRanges.stats!.submitted).toBeGreaterThan(afterWhole.stats!.submitted);
  });
});
