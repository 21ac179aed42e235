// One measured sequential-read trial, run by the suite (scenarios sequential-read, page-cache) in a fresh process.
//
//   node bench/suite/trials/sequential-read-trial.mjs <fs|aiofs> <file> [optionsJSON] [minSeconds]
//
// Streams the whole file with fs.createReadStream or aiofs's createReadStream
// (no options argument at all when optionsJSON is absent or "null", i.e. the
// true defaults), consuming it with a 'data' handler that checks every chunk
// (bench/lib/verify.mjs StreamVerifier). The clock runs from createReadStream()
// (open included) to 'end'; CPU, event-loop delay and peak RSS are trial-measure.mjs's.
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
import { loadPromises, startTrialMeasure } from '../../lib/trial-measure.mjs';
import { StreamVerifier } from '../../lib/verify.mjs';

const CLOSE_TIMEOUT_MS = 5000;

const [impl, file, optionsArg = 'null', minSecondsArg = '0'] = process.argv.slice(2);
const minSeconds = Number(minSecondsArg);
if (!['fs', 'aiofs'].includes(impl) || !file || !(minSeconds >= 0)) {
  console.error('usage: sequential-read-trial.mjs <fs|aiofs> <file> [optionsJSON] [minSeconds]');
  process.exit(2);
}
const options = JSON.parse(optionsArg);

const { fs, aiofs, backend } = await loadPromises(impl);
const { createReadStream } = fs;

const size = statSync(file).size;

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
        new Error(
          `'data' emitted ${typeof chunk === 'string' ? 'a string' : Object.prototype.toString.call(chunk)}, expected a Buffer`,
        ),
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

const stop = startTrialMeasure(); // whole process, including libuv threadpool threads
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
const m = stop(size * passes.length);
const { stream, verify, firstChunkMs } = passes[0];

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

console.log(
  JSON.stringify({
    impl,
    options,
    backend,
    highWaterMark: stream.readableHighWaterMark,
    size,
    passes: passes.length,
    firstChunkMs, // open + first read, first pass
    closed,
    closeMs,
    verify,
    contextStats: aiofs?.contextStats() ?? null,
    ...m, // CPU, event-loop delay, peak RSS (start-up included), ioUringRings (> 0: libuv ran fs calls through io_uring)
    // the streaming time of the passes, without the checks between them
    seconds,
    mbPerSec: m.bytes / seconds / 1e6,
  }),
);
