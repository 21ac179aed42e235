// What every suite trial reports about its own process while it works: wall time, CPU (user +
// system of the whole process, threadpool and io_uring workers included), event-loop delay, peak
// RSS, and whether libuv ran fs calls through io_uring. Start it right before the timed work.
import { importAiofs } from './aiofs-build.mjs';
import { startLoopDelay } from './loop-delay.mjs';
import { ioUringRings } from './io-uring.mjs';

const GiB = 2 ** 30;

/**
 * Starts the clocks; the returned function stops them and gives the figures for `bytes` moved.
 * `await stop.afterTurn(bytes)` reads the clocks at once but the event-loop delay only after one more
 * turn of the loop: work that kept the loop busy to its very end (calls that resolve without ever
 * returning to the loop) held back the delay timer and the probe's messages, and only that turn
 * records them; a plain stop() would report no delay at all.
 */
export const startTrialMeasure = () => measure(startLoopDelay());

/**
 * startTrialMeasure() once the event-loop instruments run (loop-delay.mjs's `ready`), the clocks
 * starting then: work that keeps the loop busy from its first call on is measured too.
 */
export async function startTrialMeasureReady() {
  const stopLoopDelay = startLoopDelay();
  await stopLoopDelay.ready;
  return measure(stopLoopDelay);
}

function measure(stopLoopDelay) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const clocks = () => ({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpu: process.cpuUsage(cpu0) });
  const figures = ({ seconds, cpu }, bytes, eventLoopDelay) => {
    const cpuTotal = (cpu.user + cpu.system) / 1e6;
    return {
      seconds,
      bytes,
      mbPerSec: bytes / seconds / 1e6,
      cpu: { userSec: cpu.user / 1e6, systemSec: cpu.system / 1e6, totalSec: cpuTotal },
      cpuSecPerGiB: bytes > 0 ? cpuTotal / (bytes / GiB) : null,
      eventLoopDelay,
      peakRssMiB: process.resourceUsage().maxRSS / 1024, // KiB; the whole process lifetime
      ioUringRings: ioUringRings(),
      node: process.version,
    };
  };
  const stop = (bytes) => figures(clocks(), bytes, stopLoopDelay());
  stop.afterTurn = async (bytes) => {
    const taken = clocks();
    await new Promise(setImmediate); // timers and messages run before the check phase
    return figures(taken, bytes, stopLoopDelay());
  };
  return stop;
}

/**
 * fs/promises and node:fs, or aiofs's (dist/promises.mjs and dist/index.mjs of the build in use,
 * bench/lib/aiofs-build.mjs) with its backend, for a trial's `impl` argument; `aiofs`: aiofs's
 * dist/index.mjs (its contextStats() and defaults too), or null for fs.
 * @returns {Promise<{ fsp: typeof import('node:fs/promises'), fs: typeof import('node:fs'), aiofs: Record<string, any> | null, backend: { name: string, reason: string } | null }>}
 */
export async function loadPromises(impl) {
  if (impl === 'fs') return { fsp: await import('node:fs/promises'), fs: await import('node:fs'), aiofs: null, backend: null };
  const fs = await importAiofs('index.mjs');
  return { fsp: await importAiofs('promises.mjs'), fs, aiofs: fs, backend: { name: fs.backend.name, reason: fs.backend.reason } };
}
