// libuv's io_uring path for node:fs. libuv 1.45+ can run file reads, writes, fsync, open, close and
// stat through an io_uring ring (an SQPOLL one: a kernel thread picks the requests up) instead of the
// threadpool. Node 20.x (libuv 1.46) ships it switched off unless UV_USE_IO_URING=1 is set (measured here:
// without it no io_uring file descriptor exists in the process, with it libuv creates its rings). libuv
// 1.49+ (Node 22 and later) also wants the loop configured for it, which Node never does: the benchmarks
// do it with a tiny addon (io-uring-loop.c) loaded with --require, built when the variable alone is not
// enough. libuv 1.50+ also keeps rings without an SQ thread in every process, by default, to batch
// epoll_ctl calls: they carry no file I/O, so file rings are told apart by their SQ thread. Whether
// node:fs uses io_uring is measured, never assumed: the kernel may refuse it (kernel.io_uring_disabled,
// seccomp, old kernel).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC } from './cc.mjs';

const ADDON_SOURCE = fileURLToPath(new URL('./io-uring-loop.c', import.meta.url));

/** The environment without the variable: node:fs as it runs by default. */
export const DEFAULT_FS_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'UV_USE_IO_URING'));

/** The environment of an fs contender that asks libuv for io_uring, loading the loop addon at `addon` (if any). */
export function ioUringEnv(addon) {
  const env = { ...process.env, UV_USE_IO_URING: '1' };
  if (!addon) return env;
  const require = `--require ${JSON.stringify(addon)}`;
  return { ...env, NODE_OPTIONS: [process.env.NODE_OPTIONS, require].filter(Boolean).join(' ') };
}

/** How many io_uring file rings this process holds: io_uring descriptors whose ring has an SQ thread. */
export function ioUringRings() {
  let rings = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:[io_uring]') continue;
      if (!/^SqThread:\s*-1$/m.test(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))) rings++;
    } catch {
      /* the directory's own descriptor is gone by now */
    }
  }
  return rings;
}

/** Builds the loop addon for the Node binary `node` (against its own headers) into `dir`: { ok, path } or { ok: false, reason }. */
function buildLoopAddon(node, dir) {
  const include = resolve(dirname(realpathSync(node)), '..', 'include', 'node');
  if (!existsSync(join(include, 'node_api.h')) || !existsSync(join(include, 'uv.h')))
    return { ok: false, reason: `no Node headers in ${include}` };
  return compileC(ADDON_SOURCE, join(dir, 'io-uring-loop.node'), ['-shared', '-fPIC', `-I${include}`]);
}

const PROBE = `
  const { readFile } = await import('node:fs/promises');
  const { ioUringRings } = await import(${JSON.stringify(new URL(import.meta.url).href)});
  await readFile(process.execPath);
  console.log(JSON.stringify({ node: process.version, libuv: process.versions.uv, rings: ioUringRings() }));`;

/**
 * Does node:fs use io_uring with the Node binary `node` on this kernel, by default and with
 * UV_USE_IO_URING=1 (plus the loop addon, built into `dir`, when the variable alone is not enough)?
 * Each is asked in a child that reads a file through fs/promises and counts its file rings.
 */
export function probeIoUring(node = process.execPath, dir) {
  const ask = (env) => {
    const r = spawnSync(node, ['--input-type=module', '-e', PROBE], { encoding: 'utf8', env });
    return r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop() ?? '') : { rings: NaN };
  };
  const byDefault = ask(DEFAULT_FS_ENV);
  let withEnv = ask(ioUringEnv(null)),
    addon = null,
    addonNote = null;
  if (!(withEnv.rings > 0) && dir) {
    const built = buildLoopAddon(node, dir);
    const withAddon = built.ok ? ask(ioUringEnv(built.path)) : { rings: NaN };
    if (withAddon.rings > 0) {
      withEnv = withAddon;
      addon = built.path;
    } else {
      addonNote = built.ok ? 'the loop addon loaded, yet libuv made no file ring' : built.reason;
    }
  }
  const used = withEnv.rings > 0 && !(byDefault.rings > 0);
  const how = addon
    ? `UV_USE_IO_URING=1 and the loop configured for it (libuv ${byDefault.libuv}: bench/lib/io-uring-loop.c, loaded with --require)`
    : 'UV_USE_IO_URING=1';
  return {
    node: byDefault.node,
    libuv: byDefault.libuv,
    ringsByDefault: byDefault.rings,
    ringsWithEnv: withEnv.rings,
    addon,
    // a separate contender only when the variable changes what fs does
    distinctContender: used,
    summary:
      withEnv.rings > 0
        ? byDefault.rings > 0
          ? 'node:fs uses io_uring already by default'
          : `node:fs uses io_uring only with ${how}: ${withEnv.rings} file ring${withEnv.rings === 1 ? '' : 's'}`
        : `node:fs does not use io_uring here, even with UV_USE_IO_URING=1${addonNote ? ` (loop addon: ${addonNote})` : ''}: no node:fs io_uring column`,
  };
}
