// One measured random-read trial, run by the suite (scenarios random-read, fh-read) in a fresh process.
//
//   node bench/suite/trials/random-read-trial.mjs <fs|aiofs> <file> <count> <depth> [seed=1] [sampleEvery=16]
//
// `depth` async workers share one FileHandle; each has its own buffer and
// awaits one FileHandle.read() at a time, so `depth` reads are in flight.
// Every read is timed (latency p50/p99). Prints one JSON line. Exits non-zero if any read is short or
// returns wrong data.
import { statSync } from 'node:fs';
import { BLOCK, checkBlock } from '../../lib/datafile.mjs';
import { randomBlocks } from '../../lib/offsets.mjs';
import { median, percentile } from '../../lib/stats.mjs';
import { loadPromises, startTrialMeasureReady } from '../../lib/trial-measure.mjs';
import { Sampler } from '../../lib/verify.mjs';

const [impl, file, countArg, depthArg, seedArg = '1', everyArg = '16'] = process.argv.slice(2);
const count = Number(countArg),
  depth = Number(depthArg),
  seed = Number(seedArg),
  every = Number(everyArg);
if (!['fs', 'aiofs'].includes(impl) || !file || !(count > 0) || !(depth > 0) || !(every > 0)) {
  console.error('usage: random-read-trial.mjs <fs|aiofs> <file> <count> <depth> [seed] [sampleEvery]');
  process.exit(2);
}

const {
  fsp: { open },
  backend,
} = await loadPromises(impl);

// Offsets and buffers are prepared before the clock starts.
const nBlocks = Math.floor(statSync(file).size / BLOCK);
const blocks = randomBlocks({ seed, nBlocks, count });
const sampler = new Sampler(count, every);
const latencies = new Float64Array(count); // ms per read, from the call to its result
const fh = await open(file, 'r');

let next = 0;
async function worker() {
  const buf = Buffer.alloc(BLOCK);
  while (next < count) {
    const i = next++;
    const blk = blocks[i];
    const start = process.hrtime.bigint();
    const { bytesRead } = await fh.read(buf, 0, BLOCK, blk * BLOCK);
    latencies[i] = Number(process.hrtime.bigint() - start) / 1e6;
    if (bytesRead !== BLOCK) throw new Error(`read #${i} at offset ${blk * BLOCK}: bytesRead ${bytesRead}, expected ${BLOCK}`);
    // Header check on every read: catches wrong offsets and buffers never filled
    // (a stale buffer still holds the previous block's header).
    if (!checkBlock(buf, blk)) {
      throw new Error(
        `read #${i} at offset ${blk * BLOCK}: wrong data (header ${buf.readUInt32LE(0)}/${buf.readUInt32LE(4).toString(16)}, expected block ${blk})`,
      );
    }
    sampler.take(i, buf);
  }
}

const stop = await startTrialMeasureReady(); // whole process, including libuv threadpool threads
try {
  await Promise.all(Array.from({ length: depth }, worker));
} catch (err) {
  console.error(`${impl}: ${/** @type {Error} */ (err).message}`);
  process.exit(1); // other workers may still have reads in flight
}
const m = await stop.afterTurn(count * BLOCK);
await fh.close();

const lat = Array.from(latencies);
console.log(
  JSON.stringify({
    impl,
    backend,
    count,
    depth,
    seed,
    iops: count / m.seconds,
    latencyP50Ms: median(lat),
    latencyP99Ms: percentile(lat, 99),
    sampleEvery: every,
    samples: sampler.count,
    sampleDigest: sampler.digest(),
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null,
    ...m, // seconds, CPU, event-loop delay, peak RSS (start-up included), ioUringRings (> 0: libuv ran fs calls through io_uring)
  }),
);
