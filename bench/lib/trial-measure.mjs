// What every suite trial reports about its own process while it works: wall time, CPU (user +
// system of the whole process, threadpool and io_uring workers included), event-loop delay, peak
// RSS, and whether libuv ran fs calls through io_uring. Start it right before the timed work.
import { startLoopDelay } from './loop-delay.mjs';
import { ioUringRings } from './io-uring.mjs';

const GiB = 2 ** 30;

/** Starts the clocks; the returned function stops them and gives the figures for `bytes` moved. */
export function startTrialMeasure() {
  const cpu0 = process.cpuUsage();
  const stopLoopDelay = startLoopDelay();
  const t0 = process.hrtime.bigint();
  return (bytes) => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const eventLoopDelay = stopLoopDelay();
    const cpu = process.cpuUsage(cpu0);
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
}

/** fs/promises, or aiofs's (dist/promises.mjs) with its backend, for a trial's `impl` argument. */
export async function loadPromises(impl) {
  if (impl === 'fs') return { fsp: await import('node:fs/promises'), backend: null };
  const { backend } = await import('../../dist/index.mjs');
  return { fsp: await import('../../dist/promises.mjs'), backend: { name: backend.name, reason: backend.reason } };
}
