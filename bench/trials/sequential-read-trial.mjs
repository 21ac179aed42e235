// One measured sequential-read trial, run by bench/sequential-read.mjs in a fresh process.
//
//   node bench/trials/sequential-read-trial.mjs <fs|aiofs> <file> [optionsJSON]
//
// Streams the whole file with fs.createReadStream or aiofs's createReadStream
// (no options argument at all when optionsJSON is absent or "null", i.e. the
// true defaults), consuming it with a 'data' handler that checks every chunk
// (bench/lib/verify.mjs StreamVerifier). The clock runs from createReadStream()
// (open included) to 'end'. Prints one JSON line; the parent compares the
// verification figures with its reference. Exits non-zero on a stream error or
// wrong data.
import { statSync } from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { StreamVerifier } from '../lib/verify.mjs';
import { startLoopDelay } from '../lib/loop-delay.mjs';

const CLOSE_TIMEOUT_MS = 5000;

const [impl, file, optionsArg = 'null'] = process.argv.slice(2);
if (!['fs', 'aiofs'].includes(impl) || !file) {
  console.error('usage: sequential-read-trial.mjs <fs|aiofs> <file> [optionsJSON]');
  process.exit(2);
}
const options = JSON.parse(optionsArg);

let createReadStream, aiofs = null;
if (impl === 'fs') {
  ({ createReadStream } = await import('node:fs'));
} else {
  aiofs = await import('../../dist/index.mjs');
  createReadStream = aiofs.createReadStream;
  if (typeof createReadStream !== 'function') {
    console.error('aiofs: dist/index.mjs does not export createReadStream');
    process.exit(1);
  }
}

const size = statSync(file).size;
const verifier = new StreamVerifier(size);
const rssBefore = process.memoryUsage().rss;

const cpu0 = process.cpuUsage(); // whole process, including libuv threadpool threads
const elu0 = performance.eventLoopUtilization();
const stopLoopDelay = startLoopDelay();
const t0 = process.hrtime.bigint();
let stream, seconds, firstChunkNs = null;
try {
  stream = options === null ? createReadStream(file) : createReadStream(file, options);
  stream.on('data', (chunk) => {
    firstChunkNs ??= process.hrtime.bigint();
    if (!Buffer.isBuffer(chunk)) {
      stream.destroy(new Error(`'data' emitted a ${typeof chunk === 'string' ? 'string' : chunk?.constructor?.name}, expected a Buffer`));
      return;
    }
    verifier.update(chunk);
    if (verifier.error) stream.destroy(new Error(verifier.error));
  });
  await new Promise((resolve, reject) => {
    let ended = false;
    stream.once('end', () => { ended = true; resolve(); });
    stream.once('error', reject);
    stream.once('close', () => { if (!ended) reject(new Error("'close' before 'end': the stream stopped early")); });
  });
  seconds = Number(process.hrtime.bigint() - t0) / 1e9;
} catch (err) {
  console.error(`${impl}: ${err.message}`);
  process.exit(1);
}
const elu = performance.eventLoopUtilization(elu0);
const eventLoopDelay = stopLoopDelay();
const cpu = process.cpuUsage(cpu0);

// Not timed: the stream should close its file after 'end' (autoClose) and emit 'close'.
const tc = process.hrtime.bigint();
let closed = stream.closed === true;
if (!closed) {
  let timer;
  closed = await Promise.race([
    once(stream, 'close').then(() => true),
    new Promise((res) => { timer = setTimeout(res, CLOSE_TIMEOUT_MS, false); }),
  ]);
  clearTimeout(timer);
}
const closeMs = Number(process.hrtime.bigint() - tc) / 1e6;

const verify = verifier.result();
const ru = process.resourceUsage();
const cpuTotal = (cpu.user + cpu.system) / 1e6;

console.log(JSON.stringify({
  impl,
  options,
  backend: aiofs ? { name: aiofs.backend.name, reason: aiofs.backend.reason } : null,
  highWaterMark: stream.readableHighWaterMark,
  size,
  seconds,
  firstChunkMs: firstChunkNs === null ? null : Number(firstChunkNs - t0) / 1e6, // open + first read
  mbPerSec: size / seconds / 1e6,
  cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6, totalSec: cpuTotal },
  cpuSecPerGiB: cpuTotal / (size / 2 ** 30),
  eventLoopDelay,
  // Share of the trial the main thread spent running JS/callbacks rather than
  // waiting in epoll; busy ms per GiB does not depend on the trial's length.
  eventLoopUtilization: { utilization: elu.utilization, activeMs: elu.active, busyMsPerGiB: elu.active / (size / 2 ** 30) },
  peakRssMiB: ru.maxRSS / 1024, // KiB; the whole process lifetime, start-up included
  rssBeforeMiB: rssBefore / 2 ** 20,
  closed,
  closeMs,
  verify,
  contextStats: aiofs?.contextStats?.() ?? null,
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null,
  node: process.version,
}));
