// One measured sequential-write trial, run by the suite (scenario sequential-write) in a fresh process.
//
//   node bench/suite/trials/sequential-write-trial.mjs <fs|aiofs> <file> <size> <chunkBytes> [optionsJSON] [minSeconds]
//
// Writes `size` bytes to `file` (which should not exist: the parent deletes it)
// with fs.createWriteStream or aiofs's createWriteStream (no options argument at
// all when optionsJSON is absent or "null", i.e. the true defaults), in chunks of
// `chunkBytes`, as a well-behaved producer does: write() until it returns false,
// then wait for 'drain'. The bytes are bench/lib/write-pattern.mjs's (a 1 MiB
// pseudo-random pattern with every 4 KiB block's header stamped in), made into a
// few recycled buffers: each goes back to the producer once its write's callback
// has run, i.e. once the stream says it no longer needs it (a stream that still
// read it afterwards would write wrong data, which the parent catches).
//
// The clock runs from createWriteStream() (open included) to 'close', which
// comes after the last write and, with flush: true, after the fsync. Making the
// chunks (a memcpy and the headers) is inside the clock, the same for every
// contender, and reported apart as produceSec. CPU, event-loop delay and peak RSS are
// trial-measure.mjs's.
//
// With minSeconds > 0 the trial writes again, back to back (into new files FILE.pass2,
// FILE.pass3, ...: truncating or deleting a file of the last pass would make the filesystem
// free 1 GiB of blocks while the next pass writes; removed at the end), until that much
// writing time has passed, so
// that every contender's loop-delay histogram covers about the same time: a fast
// 1 GiB pass lasts 0.3 s, and a p99 over 300 ticks is about the third-worst tick.
// Figures cover all passes; the parent checks the first pass's file.
//
// Prints one JSON line; the parent then checks the file's bytes. Exits non-zero
// on a stream error.
import { closeSync, fsyncSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadPromises, startTrialMeasure } from '../../lib/trial-measure.mjs';
import { fillExpected, makePattern } from '../../lib/write-pattern.mjs';

const [impl, file, sizeArg, chunkArg, optionsArg = 'null', minSecondsArg = '0'] = process.argv.slice(2);
const minSeconds = Number(minSecondsArg);
const size = Number(sizeArg);
const chunkBytes = Number(chunkArg);
if (
  !['fs', 'aiofs'].includes(impl) ||
  !file ||
  !(Number.isSafeInteger(size) && size > 0) ||
  !(Number.isSafeInteger(chunkBytes) && chunkBytes > 0) ||
  !(minSeconds >= 0)
) {
  console.error('usage: sequential-write-trial.mjs <fs|aiofs> <file> <size> <chunkBytes> [optionsJSON] [minSeconds]');
  process.exit(2);
}
const options = JSON.parse(optionsArg);

const { fs, aiofs, backend } = await loadPromises(impl);
const { createWriteStream } = fs;

const pattern = makePattern();
const statsBefore = aiofs?.contextStats() ?? null;

/** Writes the whole file once; resolves with timings once the stream has closed. */
function writeAll(file) {
  const free = []; // buffers whose write has called back
  let buffersMade = 0;
  let produceNs = 0n;
  let writes = 0,
    waits = 0,
    offset = 0,
    finishedNs = null;
  const t0 = process.hrtime.bigint();
  const stream = options === null ? createWriteStream(file) : createWriteStream(file, options);
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (err) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    const pump = () => {
      while (offset < size) {
        const p0 = process.hrtime.bigint();
        const len = Math.min(chunkBytes, size - offset);
        let chunk = free.pop();
        if (chunk === undefined) {
          chunk = Buffer.allocUnsafeSlow(chunkBytes);
          buffersMade++;
        }
        const data = len === chunk.length ? chunk : chunk.subarray(0, len);
        fillExpected(pattern, data, offset);
        offset += len;
        writes++;
        produceNs += process.hrtime.bigint() - p0;
        const more = stream.write(data, (err) => {
          if (!err) free.push(chunk);
        });
        if (!more) {
          waits++;
          stream.once('drain', pump);
          return;
        }
      }
      stream.end();
    };
    stream.once('error', fail);
    stream.once('finish', () => {
      finishedNs = process.hrtime.bigint();
    });
    stream.once('close', () => {
      const closedNs = process.hrtime.bigint();
      if (finishedNs === null) {
        fail(new Error("'close' before 'finish': the stream stopped early"));
        return;
      }
      resolve({
        stream,
        seconds: Number(closedNs - t0) / 1e9,
        finishMs: Number(finishedNs - t0) / 1e6,
        finishToCloseMs: Number(closedNs - finishedNs) / 1e6,
        produceSec: Number(produceNs) / 1e9,
        writes,
        drainWaits: waits,
        buffersMade,
      });
    });
    pump();
  });
}

// The parent deleted the last trial's file: commit that (fsync of the folder waits for the journal
// commit, and the discards of the freed blocks with -o discard) before the clock starts, so that no
// contender's writes meet another trial's block freeing.
const folder = openSync(dirname(file), 'r');
fsyncSync(folder);
closeSync(folder);

const stop = startTrialMeasure(); // whole process, including libuv threadpool threads
const passes = [];
try {
  do {
    const pass = await writeAll(passes.length === 0 ? file : `${file}.pass${passes.length + 1}`);
    if (pass.stream.bytesWritten !== size) {
      console.error(
        `${impl}: bytesWritten is ${pass.stream.bytesWritten} after 'close' of pass ${passes.length + 1}, ${size} bytes were written`,
      );
      process.exit(1);
    }
    passes.push(pass);
  } while (passes.reduce((sum, pass) => sum + pass.seconds, 0) < minSeconds);
} catch (err) {
  console.error(`${impl}: ${/** @type {Error} */ (err).message}`);
  process.exit(1);
}
const m = stop(size * passes.length);
const r = passes[0];
const seconds = passes.reduce((sum, pass) => sum + pass.seconds, 0);
const statsAfter = aiofs?.contextStats() ?? null;
for (let n = 2; n <= passes.length; n++) rmSync(`${file}.pass${n}`, { force: true });

console.log(
  JSON.stringify({
    impl,
    options,
    backend,
    defaults: aiofs
      ? { writeBehind: aiofs.DEFAULT_WRITE_BEHIND ?? null, chunkSize: aiofs.DEFAULT_WRITE_CHUNK_SIZE ?? null }
      : null,
    highWaterMark: r.stream.writableHighWaterMark,
    size,
    chunkBytes,
    passes: passes.length,
    finishMs: r.finishMs, // createWriteStream() to 'finish' (every byte handed over, final writes done)
    finishToCloseMs: r.finishToCloseMs, // 'finish' to 'close': the fsync with flush: true, and close(2)
    produceSec: r.produceSec,
    writes: r.writes,
    drainWaits: r.drainWaits,
    buffersMade: r.buffersMade,
    bytesWritten: r.stream.bytesWritten,
    // requests this trial sent to the kernel (aiofs): none means it wrote through node:fs
    kernelRequests: statsAfter && statsBefore ? statsAfter.submitted - statsBefore.submitted : null,
    contextStats: statsAfter,
    ...m, // CPU, event-loop delay, peak RSS (start-up included), ioUringRings (> 0: libuv ran fs calls through io_uring)
    // the writing time of the passes, without the checks between them
    seconds,
    mbPerSec: m.bytes / seconds / 1e6,
  }),
);
