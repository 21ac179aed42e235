// One readFile or writeFile trial of the suite, in a fresh process.
//
//   node bench/suite/trials/whole-file-trial.mjs <fs|aiofs> <read|write> <file> <size> <minSeconds>
//
// read: readFile(file) again and again (the file is the suite's data file of `size` bytes, cached
// after the first call), every result checked: its length and every 4 KiB block header.
// write: writeFile(file, data) again and again ('w' truncates), `data` being write-pattern bytes made
// before the clock starts; the file is read back and compared once the clock has stopped.
// After one untimed first call, repeats until minSeconds have passed (at least 3 calls), so small
// files give enough calls for a latency median and a loop-delay histogram. Prints one JSON line; exits non-zero on wrong data.
import { readFileSync } from 'node:fs';
import { BLOCK, checkBlock } from '../../lib/datafile.mjs';
import { median, percentile } from '../../lib/stats.mjs';
import { loadPromises, startTrialMeasure } from '../../lib/trial-measure.mjs';
import { fillExpected, makePattern } from '../../lib/write-pattern.mjs';

const [impl, op, file, sizeArg, minSecondsArg] = process.argv.slice(2);
const size = Number(sizeArg), minSeconds = Number(minSecondsArg);
if (!['fs', 'aiofs'].includes(impl) || !['read', 'write'].includes(op) || !file || !(size > 0) || !(minSeconds >= 0)) {
  console.error('usage: whole-file-trial.mjs <fs|aiofs> <read|write> <file> <size> <minSeconds>');
  process.exit(2);
}
const { fsp, backend } = await loadPromises(impl);

function checkRead(buf) {
  if (buf.length !== size) return `readFile returned ${buf.length} bytes, the file has ${size}`;
  for (let b = 0; b * BLOCK < size; b++) if (!checkBlock(buf, b, b * BLOCK)) return `wrong data in block ${b}`;
  return null;
}

const data = op === 'write' ? Buffer.allocUnsafe(size) : null;
if (data) fillExpected(makePattern(), data, 0);

async function call() {
  if (op === 'write') return fsp.writeFile(file, data);
  const wrong = checkRead(await fsp.readFile(file));
  if (wrong) { console.error(`${impl}: ${wrong}`); process.exit(1); }
}

// The first call, apart: it loads what the implementation loads lazily (aiofs: the addon and the
// thread's AIO context), a cost a process pays once, not per call.
const f0 = process.hrtime.bigint();
await call();
const firstCallMs = Number(process.hrtime.bigint() - f0) / 1e6;

const latencies = [];
const stop = startTrialMeasure();
let elapsed = 0;
const t0 = process.hrtime.bigint();
while (elapsed < minSeconds || latencies.length < 3) {
  const s = process.hrtime.bigint();
  await call();
  const now = process.hrtime.bigint();
  latencies.push(Number(now - s) / 1e6);
  elapsed = Number(now - t0) / 1e9;
}
const m = stop(size * latencies.length);
if (op === 'write' && !readFileSync(file).equals(data)) {
  console.error(`${impl}: the file writeFile left differs from the data written`);
  process.exit(1);
}
console.log(JSON.stringify({
  impl, op, size, backend, firstCallMs, calls: latencies.length,
  opsPerSec: latencies.length / m.seconds,
  latencyP50Ms: median(latencies), latencyP99Ms: percentile(latencies, 99),
  ...m,
}));
