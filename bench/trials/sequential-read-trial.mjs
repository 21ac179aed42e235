// One measured sequential-read trial, run by the suite (scenarios sequential-read, page-cache) in a fresh process.
//
//   node bench/trials/sequential-read-trial.mjs <fs|aiofs> <file> [optionsJSON] [minSeconds]
//
// Streams the whole file with fs.createReadStream or aiofs's createReadStream
// (no options argument at all when optionsJSON is absent or "null", i.e. the
// true defaults), consuming it with a 'data' handler that checks every chunk
// (bench/lib/verify.mjs StreamVerifier). The clock runs from createReadStream()
// (open included) to 'end'.
//
// With minSeconds > 0 the file is streamed again, back to back, each pass a new
// stream checked like the first, until that much streaming time has passed.
// Warm trials use it so that every contender's loop-delay histogram covers about
// the same time: a 1 GiB warm pass takes 0.1-1 s, and a p99 over 100 samples is
// just the second-worst tick while over 1,000 it is the tenth. Figures cover all
// passes (MB/s = bytes / streaming time). Cold trials are one pass (no cache drop
// happens between passes).
//
// Prints one JSON line; the parent compares the verification figures with its
// reference. Exits non-zero on a stream error or wrong data.
import { statSync } from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { StreamVerifier } from '../lib/verify.mjs';
import { startLoopDelay } from '../lib/loop-delay.mjs';
import { ioUringRings } from '../lib/io-uring.mjs';
import { loadStreamFactory } from '../lib/stream-bench.mjs';

const CLOSE_TIMEOUT_MS = 5000;

const [impl, file, optionsArg = 'null', minSecondsArg = '0'] = process.argv.slice(2);
const minSeconds = Number(minSecondsArg);
if (!['fs', 'aiofs'].includes(impl) || !file || !(minSeconds >= 0)) {
  console.error('usage: sequential-read-trial.mjs <fs|aiofs> <file> [optionsJSON] [minSeconds]');
  process.exit(2);
}
const options = JSON.parse(optionsArg);

const { create: createReadStream, aiofs } = await loadStreamFactory(impl, 'createReadStream');

const size = statSync(file).size;
const rssBefore = process.memoryUsage().rss;

/** Streams the file once; resolves with the stream, its verification result and timings. */
function streamOnce() {
  const verifier = new StreamVerifier(size);
  const t0 = process.hrtime.bigint();
  let firstChunkNs = null;
  const stream = options === null ? createReadStream(file) : createReadStream(file, options);
  stream.on('data', (chunk) => {
    firstChunkNs ??= process.hrtime.bigint();
    if (!Buffer.isBuffer(chunk)) {
      stream.destroy(
        new Error(`'data' emitted a ${typeof chunk === 'string' ? 'string' : chunk?.constructor?.name}, expected a Buffer`),
      );
      return;
    }
    verifier.update(chunk);
    if (verifier.error) stream.destroy(new Error(verifier.error));
  });
  return new Promise((resolve, reject) => {
    let ended = false;
    stream.once('end', () => {
      ended = true;
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      resolve({
        stream,
        verify: verifier.result(),
        seconds,
        firstChunkMs: firstChunkNs === null ? null : Number(firstChunkNs - t0) / 1e6,
      });
    });
    stream.once('error', reject);
    stream.once('close', () => {
      if (!ended) reject(new Error("'close' before 'end': the stream stopped early"));
    });
  });
}

const cpu0 = process.cpuUsage(); // whole process, including libuv threadpool threads
const elu0 = performance.eventLoopUtilization();
const stopLoopDelay = startLoopDelay();
const passes = [];
let seconds = 0;
try {
  do {
    const pass = await streamOnce();
    if (passes.length > 0 && JSON.stringify(pass.verify) !== JSON.stringify(passes[0].verify)) {
      throw new Error(`pass ${passes.length + 1} streamed different data from pass 1`);
    }
    passes.push(pass);
    seconds += pass.seconds;
  } while (seconds < minSeconds);
} catch (err) {
  console.error(`${impl}: ${/** @type {Error} */ (err).message}`);
  process.exit(1);
}
const elu = performance.eventLoopUtilization(elu0);
const eventLoopDelay = stopLoopDelay();
const cpu = process.cpuUsage(cpu0);
const { stream, verify, firstChunkMs } = passes[0];
const bytes = size * passes.length;

// Not timed: the stream should close its file after 'end' (autoClose) and emit 'close'.
const last = passes[passes.length - 1].stream;
const tc = process.hrtime.bigint();
let closed = last.closed === true;
if (!closed) {
  let timer;
  closed = await Promise.race([
    once(last, 'close').then(() => true),
    new Promise((res) => {
      timer = setTimeout(res, CLOSE_TIMEOUT_MS, false);
    }),
  ]);
  clearTimeout(timer);
}
const closeMs = Number(process.hrtime.bigint() - tc) / 1e6;

const ru = process.resourceUsage();
const cpuTotal = (cpu.user + cpu.system) / 1e6;

console.log(
  JSON.stringify({
    impl,
    options,
    backend: aiofs ? { name: aiofs.backend.name, reason: aiofs.backend.reason } : null,
    highWaterMark: stream.readableHighWaterMark,
    size,
    passes: passes.length,
    seconds,
    firstChunkMs, // open + first read, first pass
    mbPerSec: bytes / seconds / 1e6,
    cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6, totalSec: cpuTotal },
    cpuSecPerGiB: cpuTotal / (bytes / 2 ** 30),
    eventLoopDelay,
    // Share of the trial the main thread spent running JS/callbacks rather than
    // waiting in epoll; busy ms per GiB does not depend on the trial's length.
    eventLoopUtilization: { utilization: elu.utilization, activeMs: elu.active, busyMsPerGiB: elu.active / (bytes / 2 ** 30) },
    peakRssMiB: ru.maxRSS / 1024, // KiB; the whole process lifetime, start-up included
    rssBeforeMiB: rssBefore / 2 ** 20,
    closed,
    closeMs,
    verify,
    contextStats: aiofs?.contextStats?.() ?? null,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null,
    ioUringRings: ioUringRings(), // > 0: libuv ran this process's fs calls through io_uring
    node: process.version,
  }),
);
