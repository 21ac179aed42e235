// The node contenders every suite scenario runs side by side: node:fs as it runs by default, node:fs
// with UV_USE_IO_URING=1 (and, on libuv 1.49+, the loop addon) when the probe (bench/lib/io-uring.mjs)
// measured that this changes what node:fs does on this Node and kernel, and aiofs: the build under test
// (--aiofs), named to every trial by bench/lib/aiofs-build.mjs's variable.
import { AIOFS_BUILD_VAR } from '../lib/aiofs-build.mjs';
import { DEFAULT_FS_ENV, ioUringEnv } from '../lib/io-uring.mjs';

export const LABELS = { idle: 'idle (no I/O)', fs: 'node:fs', 'fs-uring': 'node:fs io_uring', aiofs: 'aiofs' };

/** The environment of a contender's trials (and servers), from `base`. */
const trialEnv = (ctx, base = DEFAULT_FS_ENV) => ({ ...base, [AIOFS_BUILD_VAR]: ctx.aiofs.dir });

/** [{ id, label, impl, env }] for this run, from the suite's context (its io_uring probe and aiofs build). */
export function nodeContenders(ctx) {
  return [
    { id: 'fs', label: LABELS.fs, impl: 'fs', env: trialEnv(ctx) },
    ...(ctx.ioUring.distinctContender
      ? [{ id: 'fs-uring', label: LABELS['fs-uring'], impl: 'fs', env: trialEnv(ctx, ioUringEnv(ctx.ioUring.addon)) }]
      : []),
    { id: 'aiofs', label: LABELS.aiofs, impl: 'aiofs', env: trialEnv(ctx) },
  ];
}

/** fio (when installed: the device limit) and then nodeContenders(ctx). */
export const withFio = (ctx) => [...(ctx.fio ? [{ id: 'fio', label: 'fio' }] : []), ...nodeContenders(ctx)];
