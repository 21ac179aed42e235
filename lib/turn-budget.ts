/**
 * Keeps calls that complete at once from holding the event loop. A read served from the page cache
 * on the event loop (preadv2 RWF_NOWAIT) settles its promise without waiting for anything, so a loop of
 * `await readFile()` would never let timers, sockets or other callbacks run, where node:fs's calls each
 * wait at least one turn of the loop. Once this turn of the loop has run for TURN_BUDGET_MS since the
 * first such completion, later ones settle on the next turn instead (setImmediate), after everything
 * else that is ready has run.
 *
 * Owns nothing.
 */
const TURN_BUDGET_MS = 0.5;

let turnStarted = -1;

function newTurn(): void {
  turnStarted = -1;
}

/** Resolves with `value` now, or on the next turn of the loop once this one has run long enough. */
export function settle<T>(value: T): Promise<T> {
  const now = performance.now();
  if (turnStarted < 0) {
    turnStarted = now;
    setImmediate(newTurn);
  } else if (now - turnStarted >= TURN_BUDGET_MS) {
    return new Promise((resolve) => setImmediate(resolve, value));
  }
  return Promise.resolve(value);
}
