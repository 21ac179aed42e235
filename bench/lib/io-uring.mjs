// libuv's io_uring path for node:fs. libuv 1.45+ can run file reads, writes, fsync, open, close and
// stat through io_uring instead of the threadpool; Node 20.x (libuv 1.46) ships it switched off
// unless UV_USE_IO_URING=1 is set (measured here: without it no io_uring file descriptor exists in
// the process, with it libuv creates its rings and calls io_uring_enter). Whether it is used is
// measured, never assumed: the kernel may refuse it (kernel.io_uring_disabled, seccomp, old kernel).
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';

/** The environment of an fs contender that asks libuv for io_uring. */
export const IO_URING_ENV = { ...process.env, UV_USE_IO_URING: '1' };
/** The environment without the variable: node:fs as it runs by default. */
export const DEFAULT_FS_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'UV_USE_IO_URING'));

/** How many io_uring instances this process holds (file descriptors on anon_inode:[io_uring]). */
export function ioUringRings() {
  let rings = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[io_uring]') rings++;
    } catch { /* the directory's own descriptor is gone by now */ }
  }
  return rings;
}

const PROBE = `
  const { readFile } = await import('node:fs/promises');
  const { ioUringRings } = await import(${JSON.stringify(new URL(import.meta.url).href)});
  await readFile(process.execPath);
  console.log(ioUringRings());`;

/**
 * Does node:fs use io_uring on this Node and kernel, by default and with UV_USE_IO_URING=1?
 * Each is asked in a child that reads a file through fs/promises and counts its io_uring rings.
 */
export function probeIoUring() {
  const rings = (env) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], { encoding: 'utf8', env });
    return r.status === 0 ? Number(r.stdout.trim()) : NaN;
  };
  const byDefault = rings(DEFAULT_FS_ENV);
  const withEnv = rings(IO_URING_ENV);
  const used = withEnv > 0 && !(byDefault > 0);
  return {
    node: process.version,
    libuv: process.versions.uv,
    ringsByDefault: byDefault,
    ringsWithEnv: withEnv,
    // a separate contender only when the variable changes what fs does
    distinctContender: used,
    summary: withEnv > 0
      ? (byDefault > 0 ? 'node:fs uses io_uring already by default' : `node:fs uses io_uring only with UV_USE_IO_URING=1 (${withEnv} rings)`)
      : 'node:fs does not use io_uring here, even with UV_USE_IO_URING=1',
  };
}
