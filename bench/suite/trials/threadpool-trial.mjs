// One threadpool-independence trial of the suite, in a fresh process.
//
//   node bench/suite/trials/threadpool-trial.mjs <idle|fs|aiofs> <jobs> <iterations> [file,file,...] [capMBps]
//
// Runs `jobs` crypto.pbkdf2 calls one after another (each on the libuv threadpool, like zlib and
// dns.lookup) and records each one's latency, from the call to its callback. With fs or aiofs, the
// files are streamed meanwhile (createReadStream, defaults), each again from the start when it ends,
// from before the first job to after the last; idle streams nothing: the baseline. fs streams hold
// threadpool threads for their reads (UV_THREADPOOL_SIZE, 4 by default), so a pbkdf2 job waits for
// one; aiofs's reads are kernel AIO submitted from the loop thread and use none.
// With capMBps (not used by the suite) the streams pause whenever they are ahead of that many MB/s in
// all, so that node:fs and aiofs can be compared at the same bytes per second.
// Prints one JSON line; exits non-zero on a stream error.
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { median, percentile } from '../../lib/stats.mjs';
import { loadPromises, startTrialMeasureReady } from '../../lib/trial-measure.mjs';

const [impl, jobsArg, iterationsArg, list = '', capArg = '0'] = process.argv.slice(2);
const jobs = Number(jobsArg),
  iterations = Number(iterationsArg),
  capBytesPerSec = Number(capArg) * 1e6;
const files = list.split(',').filter(Boolean);
if (
  !['idle', 'fs', 'aiofs'].includes(impl) ||
  !(jobs > 0) ||
  !(iterations > 0) ||
  !(capBytesPerSec >= 0) ||
  (impl !== 'idle') !== files.length > 0
) {
  console.error('usage: threadpool-trial.mjs <idle|fs|aiofs> <jobs> <iterations> [file,file,...] [capMBps] (files unless idle)');
  process.exit(2);
}
const job = promisify(pbkdf2);
const loaded = impl === 'idle' ? null : await loadPromises(impl);

let streamed = 0,
  running = true,
  failure = /** @type {Error | null} */ (null);
/** @type {import('node:stream').Readable[]} */
const streams = [];
let streamingSince = 0n,
  paused = false;
/** Pauses every stream until the bytes streamed are no longer ahead of the cap. */
function holdToCap() {
  if (capBytesPerSec === 0 || paused) return;
  const aheadSeconds = streamed / capBytesPerSec - Number(process.hrtime.bigint() - streamingSince) / 1e9;
  if (aheadSeconds <= 0) return;
  paused = true;
  for (const s of streams) s.pause();
  setTimeout(() => {
    paused = false;
    for (const s of streams) s.resume();
  }, aheadSeconds * 1000);
}
function stream(file) {
  if (loaded === null) throw new Error('idle: nothing to stream');
  const s = loaded.fs.createReadStream(file);
  streams.push(s);
  if (paused) s.pause();
  s.on('data', (chunk) => {
    streamed += chunk.length;
    holdToCap();
  });
  s.once('error', (err) => {
    failure = err;
  });
  s.once('end', () => {
    streams.splice(streams.indexOf(s), 1);
    if (running) stream(file);
  });
}

const stop = await startTrialMeasureReady();
streamingSince = process.hrtime.bigint();
for (const file of files) stream(file);
const latencies = [];
for (let i = 0; i < jobs && !failure; i++) {
  const t = process.hrtime.bigint();
  await job('password', 'salt', iterations, 32, 'sha256');
  latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
}
running = false;
const m = await stop.afterTurn(streamed);
if (failure) {
  console.error(`${impl}: ${failure.message}`);
  process.exit(1);
}
console.log(
  JSON.stringify({
    impl,
    backend: loaded?.backend ?? null,
    jobs,
    iterations,
    streams: files.length,
    capMBps: capBytesPerSec / 1e6 || null,
    latencyP50Ms: median(latencies),
    latencyP99Ms: percentile(latencies, 99),
    latencyMaxMs: Math.max(...latencies),
    ...m,
  }),
);
process.exit(0); // the streams are still running: the figures are taken
