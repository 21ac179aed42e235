/**
 * The HTTP Range requests the static-server tests send for a file of `size` bytes (at least 32 MiB),
 * with the first and last byte each must return: one byte, a block boundary, a range past the end,
 * an open end and a suffix.
 */
export function byteRanges(size: number): Array<[range: string, first: number, last: number]> {
  return [
    ['bytes=0-0', 0, 0],
    ['bytes=4095-4096', 4095, 4096],
    ['bytes=1000-9999999', 1000, 9999999],
    ['bytes=33554431-', 33554431, size - 1],
    ['bytes=-5000', size - 5000, size - 1],
  ];
}
