// One measured random-read trial, run by bench/random-read.mjs in a fresh process.
//
//   node bench/trials/random-read-trial.mjs <fs|aiofs> <file> <count> <depth> [seed=1] [sampleEvery=16]
//
// `depth` async workers share one FileHandle; each has its own buffer and
// awaits one FileHandle.read() at a time, so `depth` reads are in flight.
// Prints one JSON line. Exits non-zero if any read is short or returns wrong data.
import { statSync } from 'node:fs';
import { BLOCK, checkBlock } from '../lib/datafile.mjs';
import { randomBlocks } from '../lib/offsets.mjs';
import { Sampler } from '../lib/verify.mjs';
import { startLoopDelay } from '../lib/loop-delay.mjs';
import { ioUringRings } from '../lib/io-uring.mjs';


const [impl, file, countArg, depthArg, seedArg = '1', everyArg = '16'] = process.argv.slice(2);
const count = Number(countArg), depth = Number(depthArg), seed = Number(seedArg), every = Number(everyArg);
if (!['fs', 'aiofs'].includes(impl) || !file || !(count > 0) || !(depth > 0) || !(every > 0)) {
  console.error('usage: random-read-trial.mjs <fs|aiofs> <file> <count> <depth> [seed] [sampleEvery]');
  process.exit(2);
}

let open, backend = null;
if (impl === 'fs') {
  ({ open } = await import('node:fs/promises'));
} else {
  ({ open } = await import('../../dist/promises.mjs'));
  ({ backend } = await import('../../dist/index.mjs'));
}

// Offsets and buffers are prepared before the clock starts.
const nBlocks = Math.floor(statSync(file).size / BLOCK);
const blocks = randomBlocks({ seed, nBlocks, count });
const sampler = new Sampler(count, every);
const fh = await open(file, 'r');

let next = 0;
async function worker() {
  const buf = Buffer.alloc(BLOCK);
  while (next < count) {
    const i = next++;
    const blk = blocks[i];
    const { bytesRead } = await fh.read(buf, 0, BLOCK, blk * BLOCK);
    if (bytesRead !== BLOCK) throw new Error(`read #${i} at offset ${blk * BLOCK}: bytesRead ${bytesRead}, expected ${BLOCK}`);
    // Header check on every read: catches wrong offsets and buffers never filled
    // (a stale buffer still holds the previous block's header).
    if (!checkBlock(buf, blk)) {
      throw new Error(`read #${i} at offset ${blk * BLOCK}: wrong data (header ${buf.readUInt32LE(0)}/${buf.readUInt32LE(4).toString(16)}, expected block ${blk})`);
    }
    sampler.take(i, buf);
  }
}

const cpu0 = process.cpuUsage(); // whole process, including libuv threadpool threads
const stopLoopDelay = startLoopDelay();
const t0 = process.hrtime.bigint();
try {
  await Promise.all(Array.from({ length: depth }, worker));
} catch (err) {
  console.error(`${impl}: ${err.message}`);
  process.exit(1); // other workers may still have reads in flight
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const eventLoopDelay = stopLoopDelay();
const cpu = process.cpuUsage(cpu0);
await fh.close();

console.log(JSON.stringify({
  impl,
  backend,
  count,
  depth,
  seed,
  seconds,
  iops: count / seconds,
  cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6, totalSec: (cpu.user + cpu.system) / 1e6 },
  eventLoopDelay,
  peakRssMiB: process.resourceUsage().maxRSS / 1024, // KiB; the whole process lifetime, start-up included
  sampleEvery: every,
  samples: sampler.count,
  sampleDigest: sampler.digest(),
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null,
  ioUringRings: ioUringRings(), // > 0: libuv ran this process's fs calls through io_uring
  node: process.version,
}));
