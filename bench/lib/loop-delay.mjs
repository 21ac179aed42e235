// Event-loop delay of a trial, measured the same way by every benchmark, with two instruments.
//
// 1. node's monitorEventLoopDelay: how late a 1 ms repeating timer fires. It cannot tell blocking from
//    libuv's timer granularity: libuv keeps the loop's clock in whole milliseconds and sleeps in epoll
//    for whole milliseconds, so when something else wakes the loop between two ticks, the next tick can
//    fire up to ~1 ms late with nothing blocking. Measured here: a loop doing nothing but a 1-byte stdin
//    read every ~0.6 ms shows p99 0.57 ms (0.15 ms with no wakeups at all).
// 2. An event-response probe: a worker thread posts a timestamped message every 1 ms (sleeping in
//    Atomics.wait, not on a timer of the loop under test), and the main thread records how long each
//    message waited until JavaScript handled it: what a socket or a completion arriving at a random
//    moment waits. It wakes the loop as any event does, with no millisecond rounding.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { max, percentile } from './stats.mjs';

// 1 ms timer: fine enough to catch short stalls, and costs nothing measurable.
const RESOLUTION_MS = 1;
const PROBE_INTERVAL_NS = 1_000_000n;

const PROBE = `
const { parentPort } = require('node:worker_threads');
const nap = new Int32Array(new SharedArrayBuffer(4));
(function send() {
  // One futex sleep per message (the loop only re-checks after an early wakeup): the probe must not
  // take CPU from the process it measures.
  const due = process.hrtime.bigint() + ${PROBE_INTERVAL_NS}n;
  for (let left = due - process.hrtime.bigint(); left > 0n; left = due - process.hrtime.bigint()) Atomics.wait(nap, 0, 0, Number(left) / 1e6);
  parentPort.postMessage(process.hrtime.bigint());
  setImmediate(send);
})();
`;

/**
 * Starts measuring; call the returned function to stop and get the figures. Its `ready` promise
 * resolves once both instruments run: node's timer records the intervals between its firings, so a
 * stall before its first firing goes unrecorded, and the probe thread takes a while to start.
 */
export function startLoopDelay() {
  const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  eld.enable();
  const waits = [];
  // process.hrtime is CLOCK_MONOTONIC in every thread, so the two threads' timestamps compare.
  const probe = new Worker(PROBE, { eval: true });
  probe.on('message', (sentNs) => waits.push(Number(process.hrtime.bigint() - sentNs) / 1e6));
  probe.unref();
  const stop = () => {
    eld.disable();
    probe.terminate(); // messages still on their way are dropped
    // The histogram records whole timer intervals (~resolution when idle), so the delay the loop
    // added is the recorded value minus the resolution.
    const delayMs = (ns) => (eld.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : null);
    return {
      resolutionMs: RESOLUTION_MS,
      samples: eld.count,
      p50Ms: delayMs(eld.percentile(50)),
      p99Ms: delayMs(eld.percentile(99)),
      maxMs: delayMs(eld.max),
      response: {
        samples: waits.length,
        p50Ms: waits.length > 0 ? percentile(waits, 50) : null,
        p99Ms: waits.length > 0 ? percentile(waits, 99) : null,
        maxMs: waits.length > 0 ? max(waits) : null,
      },
    };
  };
  stop.ready = new Promise((resolve) => {
    probe.ref(); // hold the loop open until the probe's first message
    probe.once('message', () => {
      probe.unref();
      setTimeout(resolve, 2 * RESOLUTION_MS);
    });
  });
  return stop;
}
