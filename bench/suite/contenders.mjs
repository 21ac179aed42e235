// The node contenders every suite scenario runs side by side: node:fs as it runs by default, node:fs
// with UV_USE_IO_URING=1 (and, on libuv 1.49+, the loop addon) when the probe (bench/lib/io-uring.mjs)
// measured that this changes what node:fs does on this Node and kernel, and aiofs: the build under test
// (--aiofs), named to every trial by bench/lib/aiofs-build.mjs's variable.
import { AIOFS_BUILD_VAR } from '../lib/aiofs-build.mjs';
import { ADDON_VAR, DEFAULT_FS_ENV, ioUringEnv } from '../lib/io-uring.mjs';

export const LABELS = { idle: 'idle (no I/O)', fs: 'node:fs', 'fs-uring': 'node:fs io_uring', aiofs: 'aiofs' };

/** The environment of a trial or a benchmark command the suite starts, from `base`. */
export const trialEnv = (ctx, base = DEFAULT_FS_ENV) => ({ ...base, [AIOFS_BUILD_VAR]: ctx.aiofs.dir });

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

/** The environment of a standalone benchmark command: its fs-uring contender loads the loop addon too. */
export const commandEnv = (ctx) =>
  trialEnv(ctx, ctx.ioUring.addon ? { ...DEFAULT_FS_ENV, [ADDON_VAR]: ctx.ioUring.addon } : DEFAULT_FS_ENV);

/** The standalone commands' --only list for the same contenders (they call fs's io_uring variant fs-uring too). */
export const onlyList = (ioUring, withFio) =>
  [...(withFio ? ['fio'] : []), 'fs', ...(ioUring.distinctContender ? ['fs-uring'] : []), 'aiofs'].join(',');
