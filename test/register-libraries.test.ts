// Real libraries from npm, unmodified, under `node --require aiofs/register` and `--import aiofs/register`:
// graceful-fs, fs-extra, a static file server (serve-handler) and archivers (archiver, node-tar), each in
// a child process working on files on a real disk. Every run checks the bytes (sha256 against the
// originals, computed here with node:fs) and, from inside the child, how much I/O went through aiofs
// (contextStats: submitted + jobs + cachedReads); a control run without aiofs/register checks that the libraries work
// and aiofs is never loaded. What the libraries do through node:fs's callback API (readFile, writeFile,
// copyFile, read/write on descriptors) has tests of its own, named "(node:fs callback API)": aiofs/register
// replaces only node:fs's streams and fs/promises, so those fail until aiofs reaches that API too.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { byteRanges } from './support/byte-ranges';
import { mountDisk, type Mounted } from './support/filesystems';
import { lastLineReport, type FixtureRun } from './support/run-fixture';

const repo = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const fileSha = (file: string): string => sha256(readFileSync(file));
const run = promisify(execFile);
const hasCommand = (command: string): boolean =>
  spawnSync('/bin/sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Runs node with `args` from the repository (so `aiofs` and the libraries resolve), optionally under `ulimit -n`. */
function runNode(args: string[], options: { fdLimit?: number } = {}): Promise<FixtureRun> {
  const [command, commandArgs] =
    options.fdLimit === undefined
      ? [process.execPath, args]
      : ['/bin/sh', ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, ...args]];
  const child = spawn(command, commandArgs, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, report: lastLineReport(stdout) });
    }),
  );
}

/** Every file under `dir` by its relative path, with its sha256. */
function treeSha(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else found[relative(dir, path)] = fileSha(path);
    }
  };
  walk(dir);
  return found;
}

/** A fresh, empty directory for one run's output. */
function freshDir(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return path;
}

interface Step {
  io: number | null;
  sha256?: string;
  bytesRead?: number;
  bytesWritten?: number;
  equal?: boolean;
}

interface StepsReport {
  aiofsLoaded: boolean;
  loadedFirst?: string | null;
  steps: Record<string, Step>;
}

/** How each step's I/O went: 'aiofs' when it grew aiofs's counters, 'node:fs' when aiofs saw none of it. */
function ioPath(report: StepsReport, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, (report.steps[name]?.io ?? 0) > 0 ? 'aiofs' : 'node:fs']));
}

const REGISTER_MODES = [
  ['--require', ['--require', 'aiofs/register']],
  ['--import', ['--import', 'aiofs/register']],
] as const;

/** The control run without aiofs/register, then one run per loading mode. */
const CONTROL_AND_MODES = [
  { name: 'without aiofs/register (control)', flags: [] as string[], register: false },
  ...REGISTER_MODES.map(([flag, flags]) => ({ name: `${flag} aiofs/register`, flags: [...flags], register: true })),
].map((config) => [config.name, config] as const);

let disk: Mounted;
let src = '';
const bigBytes = randomBytes(16 * 1024 * 1024 + 777);
const payloadBytes = randomBytes(3 * 1024 * 1024 + 5);
let bigSha = '';
let treeShas: Record<string, string> = {};

beforeAll(async () => {
  disk = await mountDisk('register-libraries');
  src = join(disk.dir, 'src');
  const tree = join(src, 'tree');
  for (const dir of ['a/b/c', 'small']) mkdirSync(join(tree, dir), { recursive: true });
  writeFileSync(join(src, 'big.bin'), bigBytes);
  writeFileSync(join(src, 'payload.bin'), payloadBytes);
  writeFileSync(join(tree, 'big.bin'), bigBytes);
  writeFileSync(join(tree, 'large.bin'), randomBytes(9 * 1024 * 1024 + 3));
  writeFileSync(join(tree, 'empty'), '');
  writeFileSync(join(tree, 'a', 'one-byte'), randomBytes(1));
  writeFileSync(join(tree, 'a', 'page'), randomBytes(4096));
  writeFileSync(join(tree, 'a', 'page-plus-one'), randomBytes(4097));
  writeFileSync(join(tree, 'a', 'b', 'c', 'deep.bin'), randomBytes(1024 * 1024 + 1));
  for (let i = 1; i <= 20; i++) writeFileSync(join(tree, 'small', `s${i}.txt`), randomBytes(i * 997).toString('base64'));
  bigSha = sha256(bigBytes);
  treeShas = treeSha(tree);
});

afterAll(async () => {
  await disk?.cleanup();
});

describe('graceful-fs', () => {
  interface GracefulReport extends StepsReport {
    readStreamExtends: string;
    usesOwnOpen: boolean;
    instanceOf: { ReadStream: boolean; WriteStream: boolean };
  }

  const gracefulify = fixture('register-lib-gracefulify.cjs');
  const RUNS = [
    { name: 'without aiofs/register (control)', flags: [] as string[], register: false, first: null, extends: 'ReadStream' },
    ...REGISTER_MODES.flatMap(([flag, flags]) => [
      {
        name: `${flag} aiofs/register, graceful-fs required after it`,
        flags: [...flags],
        register: true,
        first: 'aiofs',
        extends: 'aiofs ReadStream',
      },
      {
        name: `${flag} graceful-fs ${flag} aiofs/register`,
        flags: [flag, 'graceful-fs', ...flags],
        register: true,
        first: 'graceful-fs',
        extends: 'ReadStream',
      },
      // What jest and many CLIs do first thing: graceful-fs patches node:fs itself (fs.ReadStream is its class).
      {
        name: `${flag} <gracefulify(fs) preload> ${flag} aiofs/register`,
        flags: [flag, gracefulify, ...flags],
        register: true,
        first: 'graceful-fs',
        extends: 'ReadStream',
      },
    ]),
  ];

  describe.each(RUNS.map((config) => [config.name, config] as const))('%s', (_name, config) => {
    let result: FixtureRun;
    let report: GracefulReport;
    let out = '';

    beforeAll(async () => {
      out = freshDir(join(disk.dir, 'out-graceful'));
      result = await runNode([...config.flags, fixture('register-lib-graceful-fs.cjs'), src, out]);
      report = result.report as unknown as GracefulReport;
    });

    it('streams (its own old-style ReadStream/WriteStream), readFile, writeFile, copyFile: the same bytes', () => {
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(report.aiofsLoaded).toBe(config.register);
      expect(report.loadedFirst).toBe(config.first);
      expect(report.usesOwnOpen).toBe(true);
      expect(report.readStreamExtends).toBe(config.extends);
      for (const file of ['stream.bin', 'fs-stream.bin', 'written.bin', 'copied.bin'])
        expect(fileSha(join(out, file)), file).toBe(bigSha);
      expect(report.steps.stream).toMatchObject({ bytesRead: bigBytes.length, bytesWritten: bigBytes.length });
      expect(report.steps.streamRange.sha256).toBe(sha256(bigBytes.subarray(12345, 12345 + 5 * 1024 * 1024 + 1)));
      expect(report.steps.readFile.sha256).toBe(bigSha);
    });

    it(config.register ? 'its streams run over aiofs' : 'aiofs is never loaded', () => {
      if (!config.register) {
        expect(Object.values(report.steps).map((step) => step.io)).toEqual(Object.keys(report.steps).map(() => null));
        return;
      }
      expect(ioPath(report, ['stream', 'fsStream', 'streamRange'])).toEqual({
        stream: 'aiofs',
        fsStream: 'aiofs',
        streamRange: 'aiofs',
      });
    });

    it('its streams are instanceof fs.ReadStream and fs.WriteStream, as without aiofs', () => {
      expect(report.instanceOf).toEqual({ ReadStream: true, WriteStream: true });
    });

    // Defined once per loading mode (where aiofs loads first): the load order does not matter to these.
    if (config.first === 'aiofs')
      it('readFile and writeFile run over aiofs too (node:fs callback API)', () => {
        expect(ioPath(report, ['readFile', 'writeFile'])).toEqual({ readFile: 'aiofs', writeFile: 'aiofs' });
      });

    // node's copyFile copies inside the kernel (copy_file_range or a reflink): no bytes reach the process,
    // so aiofs does not stand in for it (README: what register replaces); the bytes are checked above.
    if (config.first === 'aiofs')
      it("copyFile stays node's own (a copy inside the kernel)", () => {
        expect(ioPath(report, ['copyFile'])).toEqual({ copyFile: 'node:fs' });
      });
  });

  describe('reading 150 files at once under `ulimit -n 48` (graceful-fs queues its opens on EMFILE)', () => {
    let dir = '';
    const shas: Record<string, string> = {};

    beforeAll(() => {
      dir = join(disk.dir, 'many');
      mkdirSync(dir, { recursive: true });
      for (let i = 1; i <= 150; i++) {
        const bytes = randomBytes(4096 + i * 1009);
        writeFileSync(join(dir, `f${i}`), bytes);
        shas[`f${i}`] = sha256(bytes);
      }
    });

    it.each(CONTROL_AND_MODES)('%s: every file read right, over aiofs when registered', async (_name, config) => {
      const result = await runNode([...config.flags, fixture('register-lib-graceful-fs-emfile.cjs'), dir], { fdLimit: 48 });
      expect(result.stderr).toBe('');
      expect(result.report.sha256).toEqual(shas);
      if (!config.register) {
        expect(result.report.aiofsLoaded).toBe(false);
        return;
      }
      // aiofs sets its AIO context up on first use; here that comes while graceful-fs holds every
      // descriptor the process may have. A shortage of descriptors passes, the backend must not stay node-fs.
      expect(result.report.backend).toMatchObject({ name: 'kernel-aio' });
      expect(result.report.io).toBeGreaterThan(0);
    });
  });
});

describe('fs-extra', () => {
  const RUNS = [
    { name: 'without aiofs/register (control)', flags: [] as string[], register: false, first: null },
    ...REGISTER_MODES.flatMap(([flag, flags]) => [
      { name: `${flag} aiofs/register, fs-extra required after it`, flags: [...flags], register: true, first: 'aiofs' },
      { name: `${flag} fs-extra ${flag} aiofs/register`, flags: [flag, 'fs-extra', ...flags], register: true, first: 'fs-extra' },
    ]),
  ];

  describe.each(RUNS.map((config) => [config.name, config] as const))('%s', (_name, config) => {
    let result: FixtureRun;
    let report: StepsReport;
    let out = '';

    beforeAll(async () => {
      out = freshDir(join(disk.dir, 'out-fs-extra'));
      result = await runNode([...config.flags, fixture('register-lib-fs-extra.cjs'), src, out]);
      report = result.report as unknown as StepsReport;
    });

    it('copy, createReadStream/pipe, promises.readFile, outputFile, writeJson/readJson, move: the same bytes', () => {
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(report.aiofsLoaded).toBe(config.register);
      expect(report.loadedFirst).toBe(config.first);
      // copy made out/tree, move took it to out/moved/tree.
      expect(treeSha(join(out, 'moved', 'tree'))).toEqual(treeShas);
      expect(fileSha(join(out, 'piped.bin'))).toBe(bigSha);
      expect(report.steps.promisesReadFile.sha256).toBe(sha256(payloadBytes));
      expect(fileSha(join(out, 'made', 'for', 'it', 'payload.bin'))).toBe(sha256(payloadBytes));
      expect(fileSha(join(out, 'data.json'))).toBe(report.steps.writeJson.sha256);
      expect(report.steps.readJson.equal).toBe(true);
    });

    it(config.register ? 'its streams and its `promises` run over aiofs' : 'aiofs is never loaded', () => {
      if (!config.register) {
        expect(Object.values(report.steps).map((step) => step.io)).toEqual(Object.keys(report.steps).map(() => null));
        return;
      }
      expect(ioPath(report, ['stream', 'promisesReadFile'])).toEqual({ stream: 'aiofs', promisesReadFile: 'aiofs' });
      // A move within one filesystem is a rename: no file data moves at all.
      expect(report.steps.move.io).toBe(0);
    });

    // Defined once per loading mode (where aiofs loads first): the load order does not matter to these.
    if (config.first === 'aiofs')
      it('outputFile, writeJson and readJson run over aiofs too (node:fs callback API)', () => {
        expect(ioPath(report, ['outputFile', 'writeJson', 'readJson'])).toEqual({
          outputFile: 'aiofs',
          writeJson: 'aiofs',
          readJson: 'aiofs',
        });
      });

    // fs-extra copies each file with fs.copyFile, which copies inside the kernel: node's own (see above).
    if (config.first === 'aiofs')
      it("copy stays node's own (fs.copyFile, a copy inside the kernel)", () => {
        expect(ioPath(report, ['copy'])).toEqual({ copy: 'node:fs' });
      });
  });
});

const hasCurl = hasCommand('curl');
/**
 * curl's environment: this process's, less LD_PRELOAD. scripts/asan.sh preloads the ASan runtime into
 * every process the tests start, and curl hangs under it (`LD_PRELOAD=libasan.so curl URL` never
 * returns); the client is not what is under test.
 */
const curlEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'LD_PRELOAD'));

/** One HTTP GET's status, Content-Range and body sha256, with curl when there is one, else fetch. */
let downloads = 0;
async function httpGet(
  url: string,
  range: string | undefined,
  scratch: string,
): Promise<{ status: number; contentRange: string | null; sha256: string; length: number }> {
  if (!hasCurl) {
    const response = await fetch(url, { headers: range === undefined ? {} : { range } });
    const body = new Uint8Array(await response.arrayBuffer());
    return {
      status: response.status,
      contentRange: response.headers.get('content-range'),
      sha256: sha256(body),
      length: body.length,
    };
  }
  const bodyFile = join(scratch, `body-${downloads}`);
  const headerFile = join(scratch, `headers-${downloads++}`);
  await run('curl', ['-sS', '-o', bodyFile, '-D', headerFile, ...(range === undefined ? [] : ['-H', `Range: ${range}`]), url], {
    env: curlEnv,
  });
  const headers = readFileSync(headerFile, 'utf8').split('\r\n');
  const contentRange = headers.find((line) => /^content-range:/i.test(line))?.replace(/^content-range:\s*/i, '') ?? null;
  const body = readFileSync(bodyFile);
  rmSync(bodyFile);
  rmSync(headerFile);
  return { status: Number(headers[0].split(' ')[1]), contentRange, sha256: sha256(body), length: body.length };
}

describe.each(CONTROL_AND_MODES)(
  `an unmodified serve-handler static server, %s (client: ${hasCurl ? 'curl' : 'fetch'})`,
  (_name, config) => {
    const size = 64 * 1024 * 1024 + 4321;
    let site = '';
    let scratch = '';
    let big: Buffer;
    let server: ReturnType<typeof spawn> | undefined;
    let base = '';

    beforeAll(async () => {
      site = join(disk.dir, 'site');
      scratch = freshDir(join(disk.dir, 'client'));
      if (statSync(site, { throwIfNoEntry: false }) === undefined) {
        mkdirSync(site);
        writeFileSync(join(site, 'big.bin'), randomBytes(size));
        writeFileSync(join(site, 'small.txt'), randomBytes(10_000).toString('hex'));
        writeFileSync(join(site, 'tiny.bin'), randomBytes(1));
        writeFileSync(join(site, 'empty.bin'), '');
      }
      big = readFileSync(join(site, 'big.bin'));
      const child = spawn(process.execPath, [...config.flags, fixture('register-lib-serve-handler.cjs'), site], { cwd: repo });
      server = child;
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      base = `http://127.0.0.1:${(JSON.parse(firstLine) as { port: number }).port}`;
    });

    afterAll(() => {
      server?.kill();
    });

    interface ServerStats {
      aiofsLoaded: boolean;
      io: number | null;
    }
    const serverStats = async (): Promise<ServerStats> => (await (await fetch(`${base}/aiofs-stats`)).json()) as ServerStats;

    it('serves a 64 MiB file, small files and Range requests byte for byte, one at a time and together', async () => {
      const before = await serverStats();
      expect(before.aiofsLoaded).toBe(config.register);

      const whole = await httpGet(`${base}/big.bin`, undefined, scratch);
      expect(whole).toEqual({ status: 200, contentRange: null, sha256: sha256(big), length: size });
      const afterWhole = await serverStats();

      for (const name of ['small.txt', 'tiny.bin', 'empty.bin']) {
        const bytes = readFileSync(join(site, name));
        expect(await httpGet(`${base}/${name}`, undefined, scratch), name).toEqual({
          status: 200,
          contentRange: null,
          sha256: sha256(bytes),
          length: bytes.length,
        });
      }
      const small = readFileSync(join(site, 'small.txt'));
      expect(await httpGet(`${base}/small.txt`, 'bytes=100-4195', scratch)).toMatchObject({
        status: 206,
        sha256: sha256(small.subarray(100, 4196)),
      });

      for (const [range, first, last] of byteRanges(size)) {
        expect(await httpGet(`${base}/big.bin`, range, scratch), range).toEqual({
          status: 206,
          contentRange: `bytes ${first}-${last}/${size}`,
          sha256: sha256(big.subarray(first, last + 1)),
          length: last - first + 1,
        });
      }
      // Several clients at once: streams of one file in flight together over the one AIO context.
      const together = await Promise.all([
        httpGet(`${base}/big.bin`, undefined, scratch),
        httpGet(`${base}/big.bin`, 'bytes=5000000-', scratch),
        httpGet(`${base}/big.bin`, undefined, scratch),
        httpGet(`${base}/small.txt`, undefined, scratch),
      ]);
      expect(together.map((response) => response.sha256)).toEqual([
        sha256(big),
        sha256(big.subarray(5000000)),
        sha256(big),
        sha256(small),
      ]);
      const afterRanges = await serverStats();

      if (config.register) {
        // 64 MiB in requests of at most 1 MiB (aiofs's default chunkSize): at least 64 went to the kernel.
        expect(afterWhole.io! - before.io!).toBeGreaterThanOrEqual(64);
        expect(afterRanges.io!).toBeGreaterThan(afterWhole.io!);
      } else {
        expect(afterRanges).toMatchObject({ aiofsLoaded: false, io: null });
      }
    });
  },
);

describe('archivers', () => {
  const hasUnzip = hasCommand('unzip');
  const hasTar = hasCommand('tar');

  /** Unpacks a tar archive with the tar command, or node-tar here (this process is not under aiofs/register). */
  async function untar(archive: string, into: string): Promise<void> {
    mkdirSync(into, { recursive: true });
    if (hasTar) await run('tar', ['-xf', archive, '-C', into]);
    else await (await import('tar')).x({ file: archive, cwd: into });
  }

  describe.each(CONTROL_AND_MODES)('%s', (_name, config) => {
    let result: FixtureRun;
    let report: StepsReport;
    let out = '';

    beforeAll(async () => {
      out = freshDir(join(disk.dir, 'out-archive'));
      result = await runNode([...config.flags, fixture('register-lib-archiver.cjs'), join(src, 'tree'), out]);
      report = result.report as unknown as StepsReport;
    });

    it(`archiver (zip${hasUnzip ? ', checked with unzip' : ': no unzip here, not extracted'}; tar) and node-tar (create, extract): every file's bytes`, async () => {
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(report.aiofsLoaded).toBe(config.register);
      if (hasUnzip) {
        await run('unzip', ['-q', join(out, 'tree.zip'), '-d', join(out, 'zip-x')]);
        expect(treeSha(join(out, 'zip-x'))).toEqual(treeShas);
      }
      await untar(join(out, 'tree.tar'), join(out, 'tar-x'));
      expect(treeSha(join(out, 'tar-x'))).toEqual(treeShas);
      await untar(join(out, 'node-tar.tar'), join(out, 'node-tar-cx'));
      expect(treeSha(join(out, 'node-tar-cx'))).toEqual(treeShas);
      expect(treeSha(join(out, 'node-tar-x'))).toEqual(treeShas);
    });

    it(config.register ? "archiver's reading and writing run over aiofs" : 'aiofs is never loaded', () => {
      if (!config.register) {
        expect(Object.values(report.steps).map((step) => step.io)).toEqual(Object.keys(report.steps).map(() => null));
        return;
      }
      expect(ioPath(report, ['archiverZip', 'archiverTar'])).toEqual({ archiverZip: 'aiofs', archiverTar: 'aiofs' });
    });

    // node-tar reads and writes through fs.open/fs.read/fs.write on descriptors (fs-minipass), which
    // aiofs/register leaves to node (README: what register replaces); its bytes are checked above.
    if (config.register)
      it("node-tar's create and extract stay node's own (fs.read and fs.write on descriptors)", () => {
        expect(ioPath(report, ['nodeTarCreate', 'nodeTarExtract'])).toEqual({
          nodeTarCreate: 'node:fs',
          nodeTarExtract: 'node:fs',
        });
      });
  });
});
