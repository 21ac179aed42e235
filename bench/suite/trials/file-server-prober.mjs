// The file-server trial's probes, from a process of their own: /tiny and /login requested `perSecond`
// times a second each, open loop (a request goes out on time even when earlier ones are unanswered, as
// independent users' would), the endpoints half a period apart. Its own process, because the trial's
// event loop stalls while it forks curl clients (50 clients that finished the file and asked again
// held it ~0.9 s), which timed there would count as the server's latency.
//
//   node bench/suite/trials/file-server-prober.mjs <port> <perSecond>
//
// First a few untimed requests to each endpoint (the connections opened, both processes' code warm),
// then "ready" on a line, then probes until its stdin ends; then it waits for every answer and prints
// {"tiny": {"latencies": [ms...], "sentAt": [ms...], "errors": [...]}, "login": {...}}, sentAt[i] the
// time latencies[i]'s request went out (http-get.mjs's wallClockMs(), comparable between processes).
import { request, wallClockMs } from '../../lib/http-get.mjs';

const [port, perSecond] = process.argv.slice(2).map(Number);
const ENDPOINTS = ['tiny', 'login'];
const WARM_UP_REQUESTS = 5;

for (let i = 0; i < WARM_UP_REQUESTS; i++) {
  for (const e of ENDPOINTS) {
    const r = await request(port, `/${e}`);
    if (r.error) {
      console.error(`file-server prober: warm-up /${e}: ${r.error}`);
      process.exit(1);
    }
  }
}
console.log('ready');
/** @type {Record<string, { latencies: number[], sentAt: number[], errors: string[] }>} */
const samples = Object.fromEntries(ENDPOINTS.map((e) => [e, { latencies: [], sentAt: [], errors: [] }]));
const pending = [];
const periodMs = 1000 / perSecond;
function fire(e) {
  const sentAt = wallClockMs();
  const answered = request(port, `/${e}`).then((r) => {
    if (r.error) return samples[e].errors.push(r.error);
    samples[e].latencies.push(r.ms);
    samples[e].sentAt.push(sentAt);
  });
  pending.push(answered);
}
/** @type {NodeJS.Timeout[]} */
const timers = ENDPOINTS.map((e, i) =>
  setTimeout(
    () => {
      fire(e);
      timers[i] = setInterval(() => fire(e), periodMs);
    },
    (i * periodMs) / ENDPOINTS.length,
  ),
);
process.stdin.resume();
process.stdin.once('end', async () => {
  for (const t of timers) clearInterval(t); // clears the first timeout as well
  await Promise.all(pending);
  console.log(JSON.stringify(samples));
  process.exit(0);
});
