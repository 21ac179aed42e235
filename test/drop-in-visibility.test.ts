/**
 * What a reader sees is what was acknowledged: a second process reads the file with plain
 * node:fs while this one writes it, and checks it at every acknowledgement and between them.
 *
 * The writer (this process) tells the poller, through its stdin, each time a write is acknowledged: a
 * resolved fh.write / fh.writev / writeFile(fh) / appendFile, and a stream's write callback, 'drain',
 * 'finish' and 'close'. The poller then reads the file (fstat size and every byte) and checks:
 *   - size >= the bytes acknowledged, and size <= the bytes handed to the writer so far (never past
 *     the last byte given: no grow-ahead, no size ahead of data);
 *   - every byte read is the byte written there (the data is a pattern with no zero byte, so zero
 *     padding or a hole shows as a mismatch at its position).
 * The writer hands over nothing more until the poller answers, so both bounds hold exactly at every
 * check; where nothing is in flight (handle calls, 64 KiB stream writes with node's default
 * highWaterMark, 'finish', 'close') the size must equal the bytes acknowledged. Between
 * acknowledgements the poller keeps polling (the bytes after the last verified point), checking that
 * the size never drops below what was acknowledged, never passes the total, and the data is right.
 *
 * Every scenario runs on node:fs as the control (it must pass too) and on aiofs. Polls and any violation
 * (with its position) are printed.
 *
 * Needs a fresh dist/ (npm run build).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const aiofs = require('../dist/index.js') as any;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiofs-dropin-visibility-'));

/** Byte `i` of every file written here: never 0, so a hole or zero padding cannot pass for data. */
const PATTERN_SOURCE =
  'const pattern = (n) => { const b = Buffer.allocUnsafe(n); for (let i = 0; i < n; i++) b[i] = (Math.imul(i, 2654435761) >>> 24) % 255 + 1; return b; };';
const pattern = new Function(`${PATTERN_SOURCE} return pattern;`)() as (n: number) => Buffer;

/**
 * The poller: plain node:fs, one descriptor on the file. Commands on stdin, one per line:
 *   open FILE TOTAL          start polling FILE, which will hold pattern(TOTAL)         -> "opened"
 *   ack LOW HIGH FROM LABEL  poll now: LOW <= size <= HIGH, every byte from FROM right -> "ok SIZE"
 *   close                    stop polling                                              -> "done {report}"
 * FROM is 0 (the whole file) at every 32nd check and at 'finish'/'close', else a page before the point
 * verified by the previous check (reading all of a 24 MiB file 770 times costs more than the writing).
 * Between commands it polls continuously (setImmediate), reading from a page before the last verified
 * point to the end of the file.
 */
const POLLER = `
  const fs = require('node:fs');
  ${PATTERN_SOURCE}
  let expected = Buffer.alloc(0), fd = -1, low = 0, total = 0, verified = 0;
  let polls = 0, pollsBetween = 0, acks = 0, violationCount = 0, largest = 0;
  // Up to 20 lines of each kind: a wrong file polled continuously between checks must not crowd out
  // what the checks themselves found (it did: node 24's poller filled all 20 before the next check).
  const violations = [], shown = { at: 0, between: 0 };
  let scratch = Buffer.alloc(0);
  function poll(least, most, where, from) {
    polls++;
    const size = fs.fstatSync(fd).size;
    largest = Math.max(largest, size);
    if (scratch.length < size + 65536) scratch = Buffer.allocUnsafe(size + 65536 + (size >> 2));
    let n = from;
    for (;;) {
      const got = fs.readSync(fd, scratch, n, scratch.length - n, n);
      if (got === 0 || (n += got) === scratch.length) break;
    }
    const bad = (what) => { violationCount++; const kind = where.startsWith('between') ? 'between' : 'at'; if (shown[kind]++ < 20) violations.push(where + ': ' + what); };
    if (size < least) bad('size ' + size + ' < ' + least + ' acknowledged');
    if (size > most) bad('size ' + size + ' > ' + most + ', the last byte handed to the writer');
    if (n > expected.length) bad('read ' + n + ' bytes, more than the ' + expected.length + ' ever written');
    const m = Math.min(n, expected.length);
    if (m > from && scratch.compare(expected, from, m, from, m) !== 0) {
      let i = from;
      while (scratch[i] === expected[i]) i++;
      bad('byte ' + i + ' is ' + scratch[i] + ', written ' + expected[i] + ' (size ' + size + ', read ' + n + ')');
    }
    return size;
  }
  let timer = null;
  function between() {
    if (fd >= 0) { pollsBetween++; poll(low, total, 'between acknowledgements', Math.max(0, Math.min(verified, low) - 4096)); }
    timer = setImmediate(between);
  }
  require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
    const [command, ...args] = line.split(' ');
    if (command === 'open') {
      fd = fs.openSync(args[0], 'r');
      total = Number(args[1]);
      expected = pattern(total);
      low = verified = 0;
      if (timer === null) between();
      process.stdout.write('opened\\n');
    } else if (command === 'ack') {
      acks++;
      const least = Number(args[0]);
      const from = args[2] === 'full' ? 0 : Math.max(0, Math.min(verified, least) - 4096);
      const size = poll(least, Number(args[1]), args.slice(3).join(' ') + ' (acknowledged ' + least + ')', from);
      verified = least;
      low = Math.max(low, least);
      process.stdout.write('ok ' + size + '\\n');
    } else if (command === 'close') {
      clearImmediate(timer);
      timer = null;
      fs.closeSync(fd);
      fd = -1;
      process.stdout.write('done ' + JSON.stringify({ polls, pollsBetween, acks, largest, violationCount, violations }) + '\\n');
      polls = pollsBetween = acks = violationCount = largest = 0;
      violations.length = shown.at = shown.between = 0;
    }
  });`;

interface PollReport {
  polls: number;
  pollsBetween: number;
  acks: number;
  largest: number;
  violationCount: number;
  violations: string[];
}

/** The poller process and a request/answer channel to it. */
class Poller {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((line: string) => void)[] = [];

  constructor() {
    this.#child = spawn(process.execPath, ['-e', POLLER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr.setEncoding('utf8').on('data', (text: string) => process.stderr.write(`poller: ${text}`));
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#waiting.shift()?.(line));
  }

  ask(line: string): Promise<string> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${line}\n`);
    });
  }

  async open(file: string, total: number): Promise<void> {
    await this.ask(`open ${file} ${total}`);
  }

  #checks = 0;

  /**
   * Has the file checked now: at least `least` bytes (acknowledged), at most `most` (handed over); all
   * of its bytes when `full` and at every 32nd check, else those after the previous check's.
   */
  async check(least: number, most: number, label: string, full = false): Promise<void> {
    const whole = full || ++this.#checks % 32 === 0;
    await this.ask(`ack ${least} ${most} ${whole ? 'full' : 'tail'} ${label}`);
  }

  async finish(): Promise<PollReport> {
    return JSON.parse((await this.ask('close')).slice('done '.length)) as PollReport;
  }

  stop(): void {
    this.#child.kill();
  }
}

let poller: Poller;
beforeAll(() => {
  poller = new Poller();
});
afterAll(() => {
  poller.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const MODULES: [label: 'node:fs' | 'aiofs', module: any][] = [
  ['node:fs', fs],
  ['aiofs', aiofs],
];

const STREAM_TOTAL = 24 * 1024 * 1024;
const STREAM_CHUNK = 64 * 1024;

/**
 * Streams STREAM_TOTAL bytes in STREAM_CHUNK writes, waiting for 'drain' when write() says so, and has
 * the file checked at every write callback, 'drain', 'finish' and 'close'. No write() is made while a
 * check is pending, so the bytes handed over are an exact upper bound at each check.
 */
async function streamScenario(makeStream: (file: string) => Promise<fs.WriteStream>, file: string): Promise<PollReport> {
  const data = pattern(STREAM_TOTAL);
  const stream = await makeStream(file);
  if (stream.pending) await new Promise<void>((resolve) => stream.once('ready', resolve));
  await poller.open(file, STREAM_TOTAL);
  let issued = 0;
  let acknowledged = 0;
  let checks = Promise.resolve();
  const check = (least: () => number, label: string, full = false) => {
    checks = checks.then(() => poller.check(least(), issued, label, full));
    return checks;
  };
  stream.on('drain', () => void check(() => stream.bytesWritten, 'drain'));
  for (let offset = 0; offset < STREAM_TOTAL; offset += STREAM_CHUNK) {
    await checks;
    issued += STREAM_CHUNK;
    const more = stream.write(data.subarray(offset, offset + STREAM_CHUNK), (error) => {
      if (error) throw error;
      acknowledged += STREAM_CHUNK;
      const atCallback = acknowledged;
      void check(() => atCallback, `write callback at ${offset}`);
    });
    if (!more) await new Promise<void>((resolve) => stream.once('drain', resolve));
  }
  await checks;
  const closed = new Promise<void>((resolve) => stream.once('close', resolve));
  stream.end();
  await new Promise<void>((resolve) => stream.once('finish', resolve));
  await check(() => STREAM_TOTAL, "'finish'", true);
  await closed;
  await check(() => STREAM_TOTAL, "'close'", true);
  return poller.finish();
}

/** The handle calls, each awaited and then checked: the size must be exactly what was written. */
async function handleScenario(
  open: (file: string, flags: string) => Promise<fsp.FileHandle>,
  module: any,
  file: string,
): Promise<PollReport> {
  const sizes = [1, 511, 4097, 1024 * 1024 + 3, 1, 511, 4097, 3, 8191, 1024 * 1024 + 3];
  const sum = sizes.reduce((a, b) => a + b, 0);
  const total = 4 * sum + 3 * 4097;
  const data = pattern(total);
  const fh = await open(file, 'w');
  await poller.open(file, total);
  let at = 0;
  const written = async (n: number, label: string) => {
    at += n;
    await poller.check(at, at, label, true);
  };
  for (const n of sizes) {
    await fh.write(data.subarray(at, at + n), 0, n, null);
    await written(n, `fh.write(${n} bytes) at the file position`);
  }
  for (const n of sizes) {
    await module.promises.writeFile(fh, data.subarray(at, at + n));
    await written(n, `writeFile(fh, ${n} bytes)`);
  }
  for (const n of sizes) {
    await fh.write(data.subarray(at, at + n), 0, n, at);
    await written(n, `fh.write(${n} bytes, position ${at})`);
  }
  for (const n of sizes) {
    await fh.writev([data.subarray(at, at + 1), data.subarray(at + 1, at + n)], at);
    await written(n, `fh.writev(${n} bytes in 2 buffers, position ${at})`);
  }
  await fh.close();
  await module.promises.appendFile(file, data.subarray(at, at + 4097));
  await written(4097, 'appendFile(path, 4097 bytes)');
  await promisify(module.appendFile)(file, data.subarray(at, at + 4097));
  await written(4097, 'appendFile(path, 4097 bytes, callback)');
  const appending = await open(file, 'a');
  await appending.appendFile(data.subarray(at, at + 4097));
  await written(4097, 'fh.appendFile(4097 bytes) on an appending handle');
  await appending.close();
  expect(at).toBe(total);
  return poller.finish();
}

describe('the poller', () => {
  it('catches a size past the last byte handed over, zero padding, and a size below what was acknowledged', async () => {
    const file = path.join(root, 'self-test');
    const data = pattern(1024 * 1024);
    const fd = fs.openSync(file, 'w');
    await poller.open(file, data.length);
    fs.writeSync(fd, data, 0, 4096, 0);
    await poller.check(4096, 4096, 'exact', true);
    fs.ftruncateSync(fd, 65536); // grown ahead: zeros past the data
    await poller.check(4096, 4096, 'grown ahead', true);
    fs.ftruncateSync(fd, 100);
    await poller.check(4096, 8192, 'shrunk', true);
    fs.closeSync(fd);
    const report = await poller.finish();
    const atChecks = report.violations.filter((line) => !line.startsWith('between'));
    expect(atChecks).toEqual(
      [
        'grown ahead (acknowledged 4096): size 65536 > 4096, the last byte handed to the writer',
        'grown ahead (acknowledged 4096): byte 4096 is 0, written 33 (size 65536, read 65536)',
        'shrunk (acknowledged 4096): size 100 < 4096 acknowledged',
      ].map((line) => line.replace('written 33', `written ${data[4096]}`)),
    );
  });
});

describe('what a reader in another process sees is what was acknowledged', () => {
  const results: string[] = [];
  afterAll(() => console.log(`visibility:\n  ${results.join('\n  ')}`));

  const run = async (name: string, scenario: (label: string, module: any) => Promise<PollReport>) => {
    const reports: Record<string, PollReport> = {};
    for (const [label, module] of MODULES) {
      const started = Date.now();
      const report = await scenario(label, module);
      reports[label] = report;
      results.push(
        `${name}, ${label}: ${report.polls} polls (${report.pollsBetween} between acknowledgements, ${report.acks} at them), ` +
          `largest size seen ${report.largest}, ${report.violationCount} violations, ${Date.now() - started} ms` +
          (report.violations.length > 0 ? `\n    ${report.violations.join('\n    ')}` : ''),
      );
    }
    expect(reports['node:fs'].violations, 'the control (node:fs) must pass').toEqual([]);
    expect(reports.aiofs.violations).toEqual([]);
    expect(reports.aiofs.acks).toBe(reports['node:fs'].acks);
    expect(reports.aiofs.pollsBetween).toBeGreaterThan(0);
  };

  it('a stream writing 24 MiB in 64 KiB chunks (default highWaterMark: one write at a time)', () =>
    run('stream, 64 KiB writes, highWaterMark 16 KiB', (label, module) =>
      streamScenario(async (file) => module.createWriteStream(file), path.join(root, `${label}-stream-16k`)),
    ));

  it('a stream writing 24 MiB in 64 KiB chunks with a 1 MiB highWaterMark (writes coalesced, several in flight)', () =>
    run('stream, 64 KiB writes, highWaterMark 1 MiB', (label, module) =>
      streamScenario(
        async (file) => module.createWriteStream(file, { highWaterMark: 1024 * 1024 }),
        path.join(root, `${label}-stream-1m`),
      ),
    ));

  it('a stream with flush: true (1 MiB highWaterMark)', () =>
    run('stream, flush, highWaterMark 1 MiB', (label, module) =>
      streamScenario(
        async (file) => module.createWriteStream(file, { highWaterMark: 1024 * 1024, flush: true }),
        path.join(root, `${label}-stream-flush`),
      ),
    ));

  it('a stream made by fh.createWriteStream() (1 MiB highWaterMark)', () =>
    run('fh.createWriteStream, highWaterMark 1 MiB', (label, module) =>
      streamScenario(
        async (file) => {
          const fh = await module.promises.open(file, 'w');
          return fh.createWriteStream({ highWaterMark: 1024 * 1024 });
        },
        path.join(root, `${label}-handle-stream`),
      ),
    ));

  it('handle writes of odd sizes (1, 511, 4097, 1 MiB + 3 bytes...): write, writeFile(fh), positioned write, writev, appendFile (promise, callback, handle)', () =>
    run('handle writes', (label, module) =>
      handleScenario((file, flags) => module.promises.open(file, flags), module, path.join(root, `${label}-handle`)),
    ));
});
