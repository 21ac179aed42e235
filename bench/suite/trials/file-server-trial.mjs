// One file-server trial of the suite, in a fresh process: starts file-server.mjs (one contender),
// measures its idle latencies, puts it under load by real HTTP clients, and probes it meanwhile.
//
//   node bench/suite/trials/file-server-trial.mjs --impl <fs|aiofs> --file F --bytes N --iterations I
//     --clients C --rate BYTES_PER_SEC (0: full speed) --window S --idle S --probes PER_SEC
//
// The server runs on this process's Node and loads the aiofs build its environment names.
//
// 1. clients: C curl processes (-o /dev/null, --limit-rate when a rate is given), started first and
//    each waiting for its URL on stdin, since forking hundreds of them takes seconds.
// 2. idle: /tiny and /login requested --probes times a second each for --idle seconds (after a few
//    untimed warm-up requests): the latencies of the server doing nothing else.
// 3. load: every client gets its URL at once and downloads /file for --window seconds (curl's
//    --max-time); a client that reaches the end of the file asks again for what is left of its window,
//    so every client keeps streaming whatever the file size. Each client's throughput is what it
//    downloaded over its time; served is the clients' bytes over the window. A client's first byte is
//    how long its first download waited for the response (curl's time_starttransfer; its whole time if
//    none came): libuv accepts one connection per turn of the event loop (libuv/libuv#3696; strace of
//    the server on Node 20: one accept4 per turn, never one that finds the queue empty), so at the
//    start of the load the last of hundreds of clients waits for as many turns of a busy loop.
// 4. meanwhile, until the first client's window ends, the same steady probing of /tiny and /login
//    (open loop: a request is sent on time even when earlier ones have not been answered, as
//    independent users would). Probes come from a process of their own (file-server-prober.mjs): this
//    one stalls while it forks the curls of clients that asked again. Their p99 over the whole window,
//    and over the probes sent once every client had its first byte (steadyP99Ms): a probe that opens a
//    connection at the start of the load waits in the accept queue behind the clients' connections.
// The server's figures (peak RSS, CPU, event-loop delay, aiofs's contextStats) come from its /stats
// after the load. The clients and this process need file descriptors: the suite starts the trial
// under `ulimit -n 65536` where allowed, and the trial stops with a message when it has too few.
// Prints one JSON line; exits non-zero when a client fails or an endpoint never answers.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request as requestOf, wallClockMs } from '../../lib/http-get.mjs';
import { max, median, min, percentile } from '../../lib/stats.mjs';

const SERVER = fileURLToPath(new URL('./file-server.mjs', import.meta.url));
const PROBER = fileURLToPath(new URL('./file-server-prober.mjs', import.meta.url));
const MiB = 2 ** 20;
const MIN_CLIENT_SECONDS = 0.05; // less left of a window is not worth another curl

const { values: opt } = parseArgs({
  options: {
    impl: { type: 'string' },
    file: { type: 'string' },
    bytes: { type: 'string' },
    iterations: { type: 'string' },
    clients: { type: 'string' },
    rate: { type: 'string' },
    window: { type: 'string' },
    idle: { type: 'string' },
    probes: { type: 'string' },
  },
});
const [bytes, iterations, clients, rate, windowSeconds, idleSeconds, probesPerSecond] = [
  'bytes',
  'iterations',
  'clients',
  'rate',
  'window',
  'idle',
  'probes',
].map((k) => Number(opt[k]));
if (
  (opt.impl !== 'fs' && opt.impl !== 'aiofs') ||
  !opt.file ||
  !(bytes > 0) ||
  !(iterations > 0) ||
  !(clients > 0) ||
  !(rate >= 0) ||
  !(windowSeconds > 0) ||
  !(idleSeconds > 0) ||
  !(probesPerSecond > 0)
) {
  console.error(
    'usage: file-server-trial.mjs --impl <fs|aiofs> --file F --bytes N --iterations I --clients C --rate B/s ' +
      '--window S --idle S --probes N',
  );
  process.exit(2);
}

function failTrial(message) {
  console.error(`file-server trial (${opt.impl}): ${message}`);
  process.exit(1); // the 'exit' handler below stops the server; curls end at their --max-time
}

// the server holds a socket and a file per client, this process a pipe per curl
const fdLimit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
if (fdLimit < 2 * clients + 256)
  failTrial(`${clients} clients need about ${2 * clients + 256} file descriptors, ulimit -n allows ${fdLimit}`);

const elapsedMs = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
/** A control request to the server (/begin, /stats), from this process. */
const request = (path) => requestOf(port, path);

// --- the server ---------------------------------------------------------------------------------
const server = spawn(process.execPath, [SERVER, opt.impl, opt.file, String(bytes), String(iterations)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let stopping = false;
process.on('exit', () => server.kill('SIGKILL'));
server.once('exit', (code, signal) => {
  if (!stopping) failTrial(`the server exited (${code ?? signal}) before the trial ended`);
});
/** @type {number} */
const port = await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (line && out.includes('\n')) resolve(JSON.parse(line).port);
  });
});

// --- the probes, from a process of their own (file-server-prober.mjs) ------------------------------
const ENDPOINTS = ['tiny', 'login'];

/**
 * Starts the prober and resolves once it probes (after its warm-up requests) with a function that stops
 * it and resolves with its samples, endpoint -> { latencies, errors }.
 */
async function startProbing(perSecond) {
  const p = spawn(process.execPath, [PROBER, String(port), String(perSecond)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise((resolve) => p.once('close', resolve));
  let ready = false;
  exited.then((code) => ready || failTrial(`the prober exited ${code} before it was ready`));
  await new Promise((resolve) =>
    /** @type {import('node:stream').Readable} */ (p.stdout).on('data', (d) => {
      out += d;
      ready ||= out.startsWith('ready\n');
      if (ready) resolve(undefined);
    }),
  );
  return async () => {
    /** @type {import('node:stream').Writable} */ (p.stdin).end();
    const code = await exited;
    if (code !== 0) failTrial(`the prober exited ${code}`);
    return JSON.parse(out.slice('ready\n'.length));
  };
}

/**
 * An endpoint's figures; failed requests are counted (and the suite says so), not timed. With
 * `steadyFrom` (a time as the prober's sentAt), also the p99 of the requests sent from then on.
 */
const latencyFigures = ({ latencies, sentAt, errors }, steadyFrom = NaN) => {
  const steady = latencies.filter((_, i) => sentAt[i] >= steadyFrom);
  return {
    count: latencies.length,
    errors: errors.length,
    firstError: errors[0] ?? null,
    p50Ms: median(latencies),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? max(latencies) : NaN,
    ...(Number.isNaN(steadyFrom)
      ? {}
      : { steadyCount: steady.length, steadyP99Ms: steady.length ? percentile(steady, 99) : NaN }),
  };
};

// --- the clients: curl processes ------------------------------------------------------------------
const url = `http://127.0.0.1:${port}/file`;
const CURL_OUT = '%{size_download} %{time_total} %{http_code} %{exitcode} %{time_starttransfer}';

/**
 * One curl download of /file for at most `seconds`. `held`: curl starts, initializes and waits for its
 * URL on stdin (-K -) until release() is called, so that many start their downloads together however
 * long it took to fork them all; otherwise it starts at once. `result` resolves with
 * { bytes, seconds, firstByte, finished } (firstByte: seconds until the response began, or all of them
 * when none came; finished: it got the whole file) or { error }.
 */
function curl(seconds, held) {
  const args = [
    '-s',
    '-o',
    '/dev/null',
    '--max-time',
    seconds.toFixed(3),
    ...(rate > 0 ? ['--limit-rate', String(rate)] : []),
    '-w',
    CURL_OUT,
    ...(held ? ['-K', '-'] : [url]),
  ];
  const p = spawn('curl', args, { stdio: [held ? 'pipe' : 'ignore', 'pipe', 'ignore'] });
  const result = new Promise((resolve) => {
    let out = '';
    /** @type {import('node:stream').Readable} */ (p.stdout).on('data', (d) => {
      out += d;
    }); // a pipe
    p.once('error', (err) => resolve({ error: `curl: ${err.message}` }));
    p.once('close', (code, signal) => {
      const [size, time, http, exit, firstByte] = out.trim().split(' ').map(Number);
      if (code === 0 && http === 200 && size === bytes) resolve({ bytes: size, seconds: time, firstByte, finished: true });
      // 28: --max-time reached, the normal end of a client's window
      else if (code === 28)
        resolve({ bytes: size || 0, seconds: time || seconds, firstByte: firstByte || time || seconds, finished: false });
      else resolve({ error: `curl exited ${code ?? signal} (curl's code ${exit}, HTTP ${http}, ${size} of ${bytes} bytes)` });
    });
  });
  // release() is for a held curl, whose stdin is a pipe
  return { release: () => /** @type {import('node:stream').Writable} */ (p.stdin).end(`url = "${url}"\n`), result };
}

/**
 * A client: a held curl, then (when that one got the whole file) curls one after another until it has
 * spent `windowSeconds` from its release. `done` resolves with { bytes, seconds, firstByte, requests, error }
 * (firstByte: its first download's).
 */
function client() {
  const first = curl(windowSeconds, true);
  let t0;
  const done = (async () => {
    const total = { bytes: 0, seconds: 0, firstByte: NaN, requests: 0, error: null };
    for (let r = await first.result; ; r = await curl(windowSeconds - elapsedMs(t0) / 1000, false).result) {
      if (r.error) return { ...total, error: r.error };
      total.bytes += r.bytes;
      total.seconds += r.seconds;
      if (total.requests++ === 0) total.firstByte = r.firstByte;
      if (!r.finished || windowSeconds - elapsedMs(t0) / 1000 < MIN_CLIENT_SECONDS) return total;
    }
  })();
  return {
    release: () => {
      t0 = process.hrtime.bigint();
      first.release();
    },
    done,
  };
}

// --- the trial --------------------------------------------------------------------------------------
// the clients first (fork()ing hundreds of them takes seconds), then the idle figures with them waiting
let t = process.hrtime.bigint();
const all = Array.from({ length: clients }, () => client());
const spawnSeconds = elapsedMs(t) / 1000;
const stopIdle = await startProbing(probesPerSecond);
await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
const idle = await stopIdle();

const stopLoaded = await startProbing(probesPerSecond);
if ((await request('/begin')).error) failTrial('/begin failed');
t = process.hrtime.bigint();
const releasedAt = wallClockMs();
for (const c of all) c.release();
const allDone = Promise.all(all.map((c) => c.done));
// until the first client's window is over: from then on the load thins out
await Promise.race([allDone, new Promise((resolve) => setTimeout(resolve, Math.max(0, windowSeconds * 1000 - elapsedMs(t))))]);
const loaded = await stopLoaded();
const probeSeconds = elapsedMs(t) / 1000;
const done = await allDone;
const stats = await request('/stats');
stopping = true;
server.kill('SIGTERM');

const failed = done.filter((c) => c.error);
if (failed.length > 0) failTrial(`${failed.length} of ${clients} clients failed, e.g. ${failed[0].error}`);
for (const e of ENDPOINTS) {
  if (idle[e].latencies.length === 0 || loaded[e].latencies.length === 0)
    failTrial(`no /${e} request was answered, e.g. ${[...idle[e].errors, ...loaded[e].errors][0]}`);
}
if (stats.error) failTrial(`/stats: ${stats.error}`);
const srv = JSON.parse(stats.body);

const rates = done.map((c) => (c.seconds > 0 ? c.bytes / c.seconds / MiB : 0));
const lastFirstByteSeconds = max(done.map((c) => c.firstByte));
const servedBytes = done.reduce((sum, c) => sum + c.bytes, 0);
const medianRate = median(rates);
console.log(
  JSON.stringify({
    impl: opt.impl,
    clients,
    rateMiBps: rate / MiB,
    windowSeconds,
    fileBytes: bytes,
    iterations,
    spawnSeconds,
    probeSeconds,
    servedMiBps: servedBytes / windowSeconds / MiB,
    servedBytes,
    requests: done.reduce((sum, c) => sum + c.requests, 0),
    client: {
      slowestMiBps: min(rates),
      medianMiBps: medianRate,
      fastestMiBps: max(rates),
      medianFirstByteSeconds: median(done.map((c) => c.firstByte)),
      lastFirstByteSeconds,
    },
    slowestToMedian: medianRate > 0 ? min(rates) / medianRate : NaN,
    idle: Object.fromEntries(ENDPOINTS.map((e) => [e, latencyFigures(idle[e])])),
    loaded: Object.fromEntries(ENDPOINTS.map((e) => [e, latencyFigures(loaded[e], releasedAt + lastFirstByteSeconds * 1000)])),
    // the server's own figures at the top, where the suite's summaries look for them
    ...srv,
  }),
);
process.exit(0);
