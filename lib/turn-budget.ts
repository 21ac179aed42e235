/**
 * Keeps work that aiofs does on the event loop from holding it. A read served from the page cache on
 * the event loop (openat2 RESOLVE_CACHED, preadv2 RWF_NOWAIT) copies its bytes during the call and
 * settles without waiting for anything, so 64 `readFile()`s started together would copy 64 files in
 * one turn of the loop, and a loop of `await readFile()` would never let timers, sockets or other
 * callbacks run, where node:fs's calls each wait at least one turn. Once this turn of the loop has run
 * for TURN_BUDGET_MS since the first such call, further calls start their work (workOnLoop) and settle
 * (settle) on a later turn instead (setImmediate), after everything else that is ready has run.
 *
 * Calls that wait for a turn start in the order they came, before any call made after them: each later
 * turn lets waiting calls start one after another (each once the one before has done its work on the
 * loop) while the turn has budget left, and at least one. A call made while others wait queues behind
 * them, so that no caller is passed over turn after turn by callers whose work the budget let through
 * (64 callers each looping on a cached readFile: without the queue one of them waited 2 s, the whole
 * run, while the others read; with it the longest wait was a few milliseconds).
 *
 * Also decides when small cached reads copy at once and when they go to the kernel together, in one
 * io_submit (copiesNow).
 *
 * Owns nothing.
 */
const TURN_BUDGET_MS = 0.5;

let turnStarted = -1;

function newTurn(): void {
  turnStarted = -1;
}

/** Whether this turn of the loop has run TURN_BUDGET_MS since its first call here (the first starts the clock). */
function spent(): boolean {
  const now = performance.now();
  if (turnStarted < 0) {
    turnStarted = now;
    setImmediate(newTurn);
    return false;
  }
  return now - turnStarted >= TURN_BUDGET_MS;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves with `value` now, or on the next turn of the loop once this one has run long enough. */
export function settle<T>(value: T): Promise<T> {
  return spent() ? nextTurn().then(() => value) : Promise.resolve(value);
}

/** Calls waiting for a turn with budget left to start their work, first come first. */
const waiting: (() => void)[] = [];
let releaseScheduled = false;

/**
 * Null when work on the event loop may start now; otherwise a promise of a later turn of the loop on
 * which it may (this turn has run long enough, or earlier calls are still waiting for their turn).
 */
export function workOnLoop(): Promise<void> | null {
  if (waiting.length === 0 && !spent()) return null;
  const turn = new Promise<void>((resolve) => waiting.push(resolve));
  releaseOnNextTurn();
  return turn;
}

function releaseOnNextTurn(): void {
  if (releaseScheduled) return;
  releaseScheduled = true;
  setImmediate(() => {
    releaseScheduled = false;
    releaseNext(true);
  });
}

/**
 * Lets the first waiting call start. Its work runs in the microtask its promise resumes, queued before
 * the check queued here, which then lets the next start while the turn has budget left.
 */
function releaseNext(first: boolean): void {
  if (waiting.length === 0) return;
  if (!first && spent()) {
    releaseOnNextTurn();
    return;
  }
  if (first) spent(); // starts this turn's clock
  waiting.shift()!();
  queueMicrotask(() => releaseNext(false));
}

let copiedInRun = false;
/** Small cached reads sent to the kernel in a batch (batchRead) whose results have not come back. */
let batchedInFlight = 0;

function newRun(): void {
  copiedInRun = false;
}

/**
 * Whether a small read of cached pages should copy at once (preadv2) rather than join a batch: it is the
 * first of this run of JavaScript (up to the next microtask checkpoint) and no batch is out. Reads
 * started together (Promise.all, several readers each awaiting its own) do better sent to the kernel in
 * one io_submit, which copies them all in one system call in the loop's prepare phase: 4 KiB random reads
 * with 16 in flight, ~112k reads/s by one preadv2 each, ~200k in batches here. A lone reader (one read at
 * a time) always copies at once; once a batch is out, the reads started meanwhile join the next one,
 * so readers that keep several in flight stay batched.
 */
export function copiesNow(): boolean {
  if (copiedInRun || batchedInFlight > 0) return false;
  copiedInRun = true;
  queueMicrotask(newRun);
  return true;
}

/** Counts a batched read (see copiesNow) until its result comes back. */
export function batchRead(read: Promise<number>): Promise<number> {
  batchedInFlight++;
  return read.then((result) => {
    batchedInFlight--;
    return result;
  });
}
