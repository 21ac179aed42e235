// GET requests to a benchmark server on 127.0.0.1 over keep-alive connections: the file-server trial's
// control requests and its prober's timed ones.
import { Agent, get } from 'node:http';

const agent = new Agent({ keepAlive: true });

/** Milliseconds since the epoch, comparable across the trial's processes (their performance clocks start apart). */
export const wallClockMs = () => performance.timeOrigin + performance.now();
const TIMEOUT_MS = 120_000;

/** GET path: resolves with { ms, body }, or { error } (a status other than 200, a socket error, a timeout). */
export function request(port, path) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.once('end', () =>
        resolve(
          res.statusCode === 200 ? { ms: Number(process.hrtime.bigint() - t0) / 1e6, body } : { error: `HTTP ${res.statusCode}` },
        ),
      );
      res.once('error', (err) => resolve({ error: err.message }));
    });
    req.once('error', (err) => resolve({ error: err.message }));
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
  });
}
