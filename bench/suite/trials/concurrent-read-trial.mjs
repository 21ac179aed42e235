// One concurrency trial of the suite, in a fresh process: N files streamed at once.
//
//   node bench/suite/trials/concurrent-read-trial.mjs <fs|aiofs> <file,file,...>
//
// Every file is a copy of one data file (same size, same bytes) and gets its own createReadStream
// (defaults) started in the same tick; every chunk is checked by a StreamVerifier, whose results the
// parent compares with its reference. Fairness: when the first stream ends, the share of its file each
// other stream has delivered so far; the slowest stream's share is 1 when all progress alike and near 0
// when one starves. Prints one JSON line; exits non-zero on a stream error.
import { statSync } from 'node:fs';
import { StreamVerifier } from '../../lib/verify.mjs';
import { loadPromises, startTrialMeasureReady } from '../../lib/trial-measure.mjs';

const [impl, list] = process.argv.slice(2);
const files = (list ?? '').split(',').filter(Boolean);
if (!['fs', 'aiofs'].includes(impl) || files.length === 0) {
  console.error('usage: concurrent-read-trial.mjs <fs|aiofs> <file,file,...>');
  process.exit(2);
}
const size = statSync(files[0]).size;
const {
  fs: { createReadStream },
  backend,
} = await loadPromises(impl);

const verifiers = files.map(() => new StreamVerifier(size));
let sharesAtFirstEnd = /** @type {number[] | null} */ (null);
const stop = await startTrialMeasureReady();
try {
  await Promise.all(
    files.map(
      (file, i) =>
        /** @type {Promise<void>} */ (
          new Promise((resolve, reject) => {
            const stream = createReadStream(file);
            stream.on('data', (chunk) => verifiers[i].update(chunk));
            stream.once('error', reject);
            stream.once('end', () => {
              sharesAtFirstEnd ??= verifiers.map((v) => v.pos / size);
              resolve();
            });
          })
        ),
    ),
  );
} catch (err) {
  console.error(`${impl}: ${/** @type {Error} */ (err).message}`);
  process.exit(1);
}
const m = await stop.afterTurn(size * files.length);
console.log(
  JSON.stringify({
    impl,
    backend,
    streams: files.length,
    fileSize: size,
    slowestShare: Math.min(.../** @type {number[]} */ (sharesAtFirstEnd)), // set when the first stream ended
    ...m,
    verify: verifiers.map((v) => v.result()),
  }),
);
