// The node contenders every suite scenario runs side by side: node:fs as it runs by default, node:fs
// with UV_USE_IO_URING=1 when the probe (bench/lib/io-uring.mjs) measured that the variable changes
// what node:fs does on this Node and kernel, and aiofs.
import { DEFAULT_FS_ENV, IO_URING_ENV } from '../lib/io-uring.mjs';

export const LABELS = { idle: 'idle (no I/O)', fs: 'node:fs', 'fs-uring': 'node:fs io_uring', aiofs: 'aiofs' };

/** [{ id, label, impl, env }] for this run; `ioUring` is probeIoUring()'s result. */
export function nodeContenders(ioUring) {
  return [
    { id: 'fs', label: LABELS.fs, impl: 'fs', env: DEFAULT_FS_ENV },
    ...(ioUring.distinctContender ? [{ id: 'fs-uring', label: LABELS['fs-uring'], impl: 'fs', env: IO_URING_ENV }] : []),
    { id: 'aiofs', label: LABELS.aiofs, impl: 'aiofs', env: DEFAULT_FS_ENV },
  ];
}

/** The standalone commands' --only list for the same contenders (they call fs's io_uring variant fs-uring too). */
export const onlyList = (ioUring, withFio) => [...(withFio ? ['fio'] : []), 'fs', ...(ioUring.distinctContender ? ['fs-uring'] : []), 'aiofs'].join(',');
