/** Writes back and drops `file`'s cached pages, so that reads of it go to the device. */
export function evictFromPageCache(file: string): void;
