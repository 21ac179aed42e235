/**
 * The progress line `aiofs cp` draws on a terminal:
 *
 *   big.iso [##########--------------]  42%  16.8 MiB / 40.0 MiB  812.4 MB/s  ETA 0:03
 *
 * Redrawn in place (carriage return, erase to end of line) every 100 ms at most, from a byte count it
 * reads when it redraws, so the copy itself pays nothing per chunk. Without a known total (a pipe) it
 * shows the bytes and the rate only. The rate and the ETA are averages since the start.
 */
import { performance } from 'node:perf_hooks';

import { formatBytes, formatClock, formatRate } from './format';

/** At most ten redraws a second. */
const REDRAW_MS = 100;
const MIN_BAR = 10;

export class ProgressBar {
  readonly #out: NodeJS.WriteStream;
  readonly #label: string;
  readonly #total: number | null;
  readonly #done: () => number;
  readonly #started = performance.now();
  readonly #timer: NodeJS.Timeout;

  /** Draws at once, then every {@link REDRAW_MS} until {@link end}. `done()` says how many bytes are copied. */
  constructor(out: NodeJS.WriteStream, label: string, total: number | null, done: () => number) {
    this.#out = out;
    this.#label = label;
    this.#total = total;
    this.#done = done;
    this.#draw();
    this.#timer = setInterval(() => this.#draw(), REDRAW_MS);
  }

  /** Stops redrawing and replaces the bar with `line`, after a last draw; without a line, just erases it. */
  end(line?: string): void {
    clearInterval(this.#timer);
    if (line === undefined) {
      this.#out.write('\r\x1b[K');
      return;
    }
    this.#draw();
    this.#out.write(`\r\x1b[K${line}\n`);
  }

  #draw(): void {
    const done = this.#done();
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = formatRate(done, seconds);
    const total = this.#total;
    const columns = this.#out.columns || 80;
    let line: string;
    if (total === null) {
      line = `${this.#label}  ${formatBytes(done)}  ${rate}`;
    } else {
      const fraction = total === 0 ? 1 : Math.min(1, done / total);
      const eta = done > 0 ? ((total - done) * seconds) / done : NaN;
      const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(total)}  ${rate}  ETA ${formatClock(eta)}`;
      // The label gives way first, then the bar, so the figures always fit.
      const label = fit(this.#label, Math.max(8, columns - tail.length - MIN_BAR - 4));
      const width = Math.max(MIN_BAR, columns - label.length - tail.length - 4);
      const filled = Math.round(fraction * width);
      line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${tail}`;
    }
    this.#out.write(`\r${fit(line, columns - 1)}\x1b[K`);
  }
}

/** `text` cut to `width` characters, the cut marked with `~`. */
function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}~`;
}
