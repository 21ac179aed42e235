/** Writes back and drops `file`'s cached pages, so that reads of it go to the device. */
export function evictFromPageCache(file: string): void;

/** Drops the dentry and page caches after sync(1) (root only): false, with a message naming `label`, where not allowed. */
export function dropCaches(label: string): boolean;
