// Event-loop delay of a trial, measured the same way by every benchmark.
import { monitorEventLoopDelay } from 'node:perf_hooks';

// 1 ms timer: fine enough to catch short stalls, and costs nothing measurable.
const RESOLUTION_MS = 1;

/** Starts measuring; call the returned function to stop and get the figures. */
export function startLoopDelay() {
  const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  eld.enable();
  return () => {
    eld.disable();
    // The histogram records whole timer intervals (~resolution when idle), so the delay the loop
    // added is the recorded value minus the resolution.
    const delayMs = (ns) => (eld.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : null);
    return {
      resolutionMs: RESOLUTION_MS,
      samples: eld.count,
      p50Ms: delayMs(eld.percentile(50)),
      p99Ms: delayMs(eld.percentile(99)),
      maxMs: delayMs(eld.max),
    };
  };
}
