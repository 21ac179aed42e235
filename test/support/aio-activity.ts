/**
 * How much work aiofs's AIO context has done, from a contextStats() snapshot: kernel AIO requests,
 * blocking jobs and reads answered from the page cache on the loop. Tests compare two snapshots to
 * see whether an operation went through aiofs at all.
 */
export function aioActivity(stats: Record<string, number> | null): number {
  if (stats === null) return 0;
  return Object.entries(stats)
    .filter(([key]) => key === 'submitted' || key === 'jobs' || /^cached/.test(key))
    .reduce((sum, [, value]) => sum + value, 0);
}
