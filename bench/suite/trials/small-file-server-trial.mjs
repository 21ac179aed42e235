// One small-file-server trial, in a fresh process: a node:http server of the files in DIR (named 0 ..
// N-1) through fs or aiofs, loaded by wrk for some seconds with requests for random files
// (small-file-server.lua); then a sample of files fetched once more, their sha256 reported for the
// parent to check against the files.
//
//   node bench/suite/trials/small-file-server-trial.mjs <fs|aiofs> <stream|readFile> <dir> <files> <seconds> <connections> <i,j,...>
//
// stream: createReadStream(path).pipe(res); readFile: res.end(await readFile(path)). The figures of this
// process (CPU, event-loop delay, peak RSS, io_uring rings) cover wrk's run. Prints one JSON line; exits
// non-zero when wrk saw errors or could not run.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadPromises, startTrialMeasureReady } from '../../lib/trial-measure.mjs';

const LUA = fileURLToPath(new URL('./small-file-server.lua', import.meta.url));
const SEED = 20;
const [impl, mode, dir, filesArg, secondsArg, connectionsArg, sampleArg = ''] = process.argv.slice(2);
const files = Number(filesArg),
  seconds = Number(secondsArg),
  connections = Number(connectionsArg);
const sample = sampleArg.split(',').filter(Boolean).map(Number);
if (
  !['fs', 'aiofs'].includes(impl) ||
  !['stream', 'readFile'].includes(mode) ||
  !dir ||
  !(files > 0) ||
  !(seconds > 0) ||
  !(connections > 0)
) {
  console.error(
    'usage: small-file-server-trial.mjs <fs|aiofs> <stream|readFile> <dir> <files> <seconds> <connections> [i,j,...]',
  );
  process.exit(2);
}
const fail = (msg) => {
  console.error(`${impl} ${mode} server: ${msg}`);
  process.exit(1);
};
const { fsp, fs, backend } = await loadPromises(impl);
const { createReadStream } = fs;

const HANDLERS = {
  stream: (path, res) =>
    createReadStream(path)
      .once('error', () => res.destroy())
      .pipe(res),
  readFile: async (path, res) => {
    try {
      res.end(await fsp.readFile(path));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  },
};
const handle = HANDLERS[mode];
const server = createServer((req, res) => {
  const url = req.url ?? ''; // always set on a request a server received
  if (/^\/\d+$/.test(url)) return handle(join(dir, url.slice(1)), res);
  res.statusCode = 404; // only the files' own names: nothing outside DIR
  res.end();
});
await /** @type {Promise<void>} */ (new Promise((resolve) => server.listen(0, '127.0.0.1', resolve)));
// Listening on a TCP port, so address() is an AddressInfo.
const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());

const fetchBody = (path) =>
  new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.once('end', () =>
        res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${path}: status ${res.statusCode}`)),
      );
      res.once('error', reject);
    }).once('error', reject);
  });

// The first request, apart: it loads what the implementation loads lazily (aiofs: the addon and the
// thread's AIO context), a cost a process pays once, not per request.
await fetchBody('/0');

const stop = await startTrialMeasureReady();
let wrk;
try {
  const { stdout } = await promisify(execFile)('wrk', [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--timeout',
    '10s',
    '-s',
    LUA,
    `http://127.0.0.1:${port}/`,
    '--',
    String(files),
    String(SEED),
  ]);
  // String(): no JSON line gives 'undefined', which JSON.parse rejects as it rejects undefined itself
  wrk = JSON.parse(
    String(
      stdout
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .pop(),
    ),
  );
} catch (err) {
  fail(`wrk failed: ${/** @type {Error} */ (err).message}`);
}
const m = await stop.afterTurn(wrk.bytes);
const errors = Object.entries(wrk.errors).filter(([, n]) => n > 0);
if (errors.length > 0) fail(`wrk saw errors: ${errors.map(([k, n]) => `${k} ${n}`).join(', ')} of ${wrk.requests} requests`);

const digests = {};
for (const i of sample)
  digests[i] = createHash('sha256')
    .update(await fetchBody(`/${i}`))
    .digest('hex');
server.close();
console.log(
  JSON.stringify({
    impl,
    mode,
    backend,
    files,
    connections,
    requests: wrk.requests,
    requestsPerSec: wrk.requests / (wrk.durationUs / 1e6),
    latencyP50Ms: wrk.latencyP50Us / 1000,
    latencyP99Ms: wrk.latencyP99Us / 1000,
    latencyMaxMs: wrk.latencyMaxUs / 1000,
    bytesPerResponse: wrk.bytes / wrk.requests,
    digests,
    ...m,
  }),
);
process.exit(0); // keep-alive sockets would hold the loop open
