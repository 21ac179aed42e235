/**
 * How the command line tool writes sizes, rates, times and errors: one style for every command.
 * Sizes are binary (KiB, MiB, GiB, as `ls -h`); rates are MB/s of 10^6 bytes, as the benchmarks report.
 */
import { getSystemErrorMap } from 'node:util';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `1536` -> `1.5 KiB`; bytes below 1 KiB are exact. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Bytes per second as `812.4 MB/s` (10^6 bytes), or `-- MB/s` before any time has passed. */
export function formatRate(bytes: number, seconds: number): string {
  if (!(seconds > 0)) return '-- MB/s';
  return `${(bytes / seconds / 1e6).toFixed(1)} MB/s`;
}

/** Whole seconds as `m:ss` or `h:mm:ss`; `--:--` when unknown. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const total = Math.round(seconds);
  const s = String(total % 60).padStart(2, '0');
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * A system error as `ENOENT: no such file or directory` (its code and the C library's description,
 * without the syscall and path Node appends: the caller's line names the file); any other error by its
 * message.
 */
export function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number' && typeof e.code === 'string') {
    const description = getSystemErrorMap().get(e.errno)?.[1];
    if (description !== undefined) return `${e.code}: ${description}`;
  }
  return e instanceof Error ? e.message : String(error);
}
