// Small statistics and number formatting helpers shared by the benchmarks (stats.mjs).

/** Median of the finite values; NaN when there are none. */
export function median(xs: readonly number[]): number;
/** Nearest-rank percentile (p in 0..100) of the finite values; NaN when there are none. */
export function percentile(xs: readonly number[], p: number): number;
export function min(xs: readonly number[]): number;
export function max(xs: readonly number[]): number;

/** The number formatted; '-' for NaN, an infinity or no value. */
export function fmtInt(x: number | null | undefined): string;
export function fmtNum(x: number | null | undefined, digits?: number): string;
export function fmtRatio(x: number | null | undefined): string;

/** Plain-text table: first column left-aligned, the rest right-aligned. */
export function table(header: readonly unknown[], rows: readonly (readonly unknown[])[]): string;
