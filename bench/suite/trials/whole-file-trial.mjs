// One whole-file trial of the suite, in a fresh process: one operation, `concurrency` calls in flight.
//
//   node bench/suite/trials/whole-file-trial.mjs <fs|aiofs> <op> <warm|cold> <concurrency> <size> <minSeconds> <target>
//
// op readFile: `target` is a comma-separated list of the suite's data files of `size` bytes, and every
// result is checked (its length and every 4 KiB block header). warm: call k of the trial reads file
// k % concurrency again and again, cached by the parent; cold: the parent dropped the page cache and
// every file is read once, `concurrency` at a time. op stream: the same, each file read whole through
// createReadStream, and a call's latency is the time from createReadStream to its first 'data' event.
// The writes write write-pattern bytes made before the clock starts into the directory `target`:
//   writeFile-new      a new file each call          writeFile-rewrite  'w' over the call's own file
//   appendFile         appends to the call's file    writeFile-flush    'w' with flush: true (fsync)
// and each concurrent caller's last file is read back and checked once the clock has stopped.
// Warm trials repeat until minSeconds have passed (at least 3 calls), so small files give enough calls
// for latency percentiles and a loop-delay histogram. Prints one JSON line; exits non-zero on wrong data.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCK, checkBlock } from '../../lib/datafile.mjs';
import { median, percentile } from '../../lib/stats.mjs';
import { loadPromises, startTrialMeasureReady } from '../../lib/trial-measure.mjs';
import { fillExpected, makePattern } from '../../lib/write-pattern.mjs';

const OPS = ['readFile', 'stream', 'writeFile-new', 'writeFile-rewrite', 'appendFile', 'writeFile-flush'];
const [impl, op, mode, concurrencyArg, sizeArg, minSecondsArg, target] = process.argv.slice(2);
const reads = op === 'readFile' || op === 'stream';
const concurrency = Number(concurrencyArg),
  size = Number(sizeArg),
  minSeconds = Number(minSecondsArg);
if (
  !['fs', 'aiofs'].includes(impl) ||
  !OPS.includes(op) ||
  !['warm', 'cold'].includes(mode) ||
  !(concurrency >= 1) ||
  !(size >= 0) ||
  !(minSeconds >= 0) ||
  !target ||
  (mode === 'cold' && !reads)
) {
  console.error(
    `usage: whole-file-trial.mjs <fs|aiofs> <${OPS.join('|')}> <warm|cold (reads only)> <concurrency> <size> <minSeconds> <files|dir>`,
  );
  process.exit(2);
}
const { fsp, fs, backend } = await loadPromises(impl);
const fail = (msg) => {
  console.error(`${impl} ${op}: ${msg}`);
  process.exit(1);
};

function checkRead(buf) {
  if (buf.length !== size) return `readFile returned ${buf.length} bytes, the file has ${size}`;
  for (let b = 0; b * BLOCK < size; b++) if (!checkBlock(buf, b, b * BLOCK)) return `wrong data in block ${b}`;
  return null;
}

const files = reads ? target.split(',') : []; // the writes take a directory (target), no files
const data = Buffer.allocUnsafe(reads ? 0 : size);
fillExpected(makePattern(), data, 0);

const CALLS = {
  readFile: async (file) => {
    const wrong = checkRead(await fsp.readFile(file));
    if (wrong) fail(wrong);
  },
  /** Resolves with the milliseconds from createReadStream to the first 'data' event, once the stream has closed. */
  stream: (file) =>
    new Promise((resolve, reject) => {
      const s = process.hrtime.bigint();
      let firstMs = null;
      const chunks = [];
      fs.createReadStream(file)
        .on('data', (chunk) => {
          firstMs ??= Number(process.hrtime.bigint() - s) / 1e6;
          chunks.push(chunk);
        })
        .on('error', reject)
        .on('close', () => {
          const wrong = checkRead(Buffer.concat(chunks));
          if (wrong) fail(wrong);
          resolve(firstMs);
        });
    }),
  'writeFile-new': (file) => fsp.writeFile(file, data),
  'writeFile-rewrite': (file) => fsp.writeFile(file, data),
  appendFile: (file) => fsp.appendFile(file, data),
  'writeFile-flush': (file) => fsp.writeFile(file, data, { flush: true }),
};
const call = CALLS[op];
let nextCold = 1; // cold reads: the next file nobody has read yet (file 0 is the untimed first call's)
/** The file of caller w's n-th call (n = 0: the untimed first call). */
function fileOf(w, n) {
  if (reads) return mode === 'cold' && n > 0 ? files[nextCold++] : files[w % files.length];
  return join(target, op === 'writeFile-new' ? `new-${w}-${n}` : `file-${w}`);
}

// The first calls, apart: they load what the implementation loads lazily (aiofs: the addon and the
// thread's AIO context), a cost a process pays once, not per call, and create the file every caller of
// rewrite, append and flush then writes again.
const firstCalls = reads || op === 'writeFile-new' ? 1 : concurrency;
const f0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: firstCalls }, (_, w) => call(fileOf(w, 0))));
const firstCallMs = Number(process.hrtime.bigint() - f0) / 1e6;

const latencies = [];
const callsOf = new Array(concurrency).fill(0);
const minNs = BigInt(Math.round(minSeconds * 1e9));
const stop = await startTrialMeasureReady();
const t0 = process.hrtime.bigint();
const more = mode === 'cold' ? () => nextCold < files.length : () => process.hrtime.bigint() - t0 < minNs || latencies.length < 3;
await Promise.all(
  Array.from({ length: concurrency }, async (_, w) => {
    while (more()) {
      const file = fileOf(w, callsOf[w] + 1);
      const s = process.hrtime.bigint();
      const firstMs = await call(file);
      latencies.push(typeof firstMs === 'number' ? firstMs : Number(process.hrtime.bigint() - s) / 1e6);
      callsOf[w]++;
    }
  }),
);
const m = await stop.afterTurn(size * latencies.length);

function readRange(file, offset, length) {
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return buf;
}
for (let w = 0; w < concurrency && !reads; w++) {
  if (callsOf[w] === 0 && w >= firstCalls) continue; // this caller never wrote
  const file = fileOf(w, callsOf[w]);
  if (op === 'appendFile') {
    const expected = size * (callsOf[w] + 1),
      actual = statSync(file).size;
    if (actual !== expected) fail(`${file} has ${actual} bytes after ${callsOf[w] + 1} appends of ${size}`);
    if (!readRange(file, actual - size, size).equals(data)) fail(`the last append to ${file} differs from the data written`);
  } else if (!readFileSync(file).equals(data)) {
    fail(`${file} differs from the data written`);
  }
}
console.log(
  JSON.stringify({
    impl,
    op,
    mode,
    concurrency,
    size,
    backend,
    firstCallMs,
    calls: latencies.length,
    opsPerSec: latencies.length / m.seconds,
    latencyP50Ms: median(latencies),
    latencyP99Ms: percentile(latencies, 99),
    ...m,
  }),
);
