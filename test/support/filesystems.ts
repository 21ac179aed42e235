/**
 * Filesystems the I/O tests run on:
 *
 *  - `disk`:    a fresh temp dir on the default disk (os.tmpdir() when that is ext2/3/4 or xfs on a
 *               block device, otherwise test/.tmp/ inside the repository);
 *  - `tmpfs`:   a private 64 MiB tmpfs mount (no direct I/O: aiofs must fall back to node:fs);
 *  - `ext4-4k`: ext4 on a loop device with 4096-byte logical sectors, so O_DIRECT needs 4 KiB
 *               alignment (the disk above usually takes 512);
 *  - `xfs`, `btrfs` (useMoreFilesystems): loop devices with 512-byte sectors; btrfs runs direct I/O
 *               synchronously inside io_submit, so aiofs must leave it to node:fs.
 *
 * Lifetime (how to use it from vitest): call `await useFilesystems('my-file')` at the TOP LEVEL of
 * a test file. Setup runs while vitest collects the file, so `it.skipIf(fs.skipReason)` can see the
 * result, and the helper registers an `afterAll` hook that unmounts, detaches and deletes everything
 * (that hook runs even when tests or other hooks fail). Synchronous `exit` and SIGTERM/SIGINT/SIGHUP
 * hooks are the last resort for anything still mounted if the worker is stopped early. Every mount
 * point, image and directory comes from mkdtemp() with the label and pid in its name, so test files
 * running in parallel workers never share one. A failed step undoes the steps before it at once.
 *
 * Root-only filesystems get `skipReason` (naming the failed step and its stderr) instead of failing
 * the whole file; tests print it, so a skip is never silent.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';

const run = promisify(execFile);

export type TestFsName = 'disk' | 'tmpfs' | 'ext4-4k' | 'xfs' | 'btrfs';

export interface TestFs {
  readonly name: TestFsName;
  /** A directory on this filesystem, empty at start, that the tests may fill (mode 0755). */
  readonly dir: string;
  /** Set when this filesystem could not be prepared: say why, and skip the tests on it. */
  readonly skipReason?: string;
  /** What the filesystem is, for log lines (e.g. `ext4 on /dev/vda`, `tmpfs size=64m`). */
  readonly description: string;
}

/** A prepared filesystem with its own cleanup (which never throws). */
export interface Mounted extends TestFs {
  cleanup(): Promise<void>;
}

/** Undo actions still pending, run synchronously if the process exits before cleanup() did. */
const pendingAtExit = new Set<() => void>();
let exitHookInstalled = false;

function runPendingAtExit(): void {
  for (const action of [...pendingAtExit].reverse()) {
    try {
      action();
    } catch {
      // best effort: the process is going away
    }
    pendingAtExit.delete(action);
  }
}

export function atExit(undo: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', runPendingAtExit);
    // Vitest stops a worker with SIGTERM (then SIGKILL), which skips 'exit' handlers: clean up, then
    // let the signal do what it would have done.
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(signal, () => {
        runPendingAtExit();
        process.kill(process.pid, signal);
      });
    }
  }
  pendingAtExit.add(undo);
  return () => pendingAtExit.delete(undo);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Magic numbers from statfs(2) of filesystems that are "a real disk" for these tests. */
const DISK_MAGIC = new Map<number, string>([
  [0xef53, 'ext2/3/4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
]);
const TMPFS_MAGIC = 0x01021994;

function safeLabel(label: string): string {
  return label.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 40);
}

function tempPrefix(label: string, kind: string): string {
  const pool = process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? '0';
  return `aiofs-${safeLabel(label)}-${kind}-p${process.pid}-w${pool}-`;
}

class StepError extends Error {}

/** Runs one setup command; a failure names the step and carries its stderr. */
async function step(name: string, command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { encoding: 'utf8' });
    return stdout.trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    const detail = (e.stderr ?? '').trim() || e.message;
    throw new StepError(`${name} failed (\`${command} ${args.join(' ')}\`): ${detail}`);
  }
}

function runSync(command: string, args: string[]): void {
  spawnSync(command, args, { stdio: 'ignore' });
}

/** Unmounts, retrying while the mount is busy, then lazily as a last resort. */
async function unmount(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await run('umount', [dir]);
      return;
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '');
      if (/not mounted|no mount point/i.test(stderr)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await run('umount', ['-l', dir]).catch(() => undefined);
}

async function removeTree(dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
}

/** Where the "default disk" temp dir goes: os.tmpdir() if it is a disk filesystem, else test/.tmp/. */
function defaultDiskRoot(): { root: string; description: string } {
  const tmp = os.tmpdir();
  const type = fs.statfsSync(tmp).type;
  const known = DISK_MAGIC.get(type);
  if (known !== undefined) return { root: tmp, description: `${known} (${tmp}, ${describeSource(tmp)})` };
  const repoTmp = fileURLToPath(new URL('../.tmp', import.meta.url));
  fs.mkdirSync(repoTmp, { recursive: true });
  const repoType = fs.statfsSync(repoTmp).type;
  const name = DISK_MAGIC.get(repoType) ?? (repoType === TMPFS_MAGIC ? 'tmpfs' : `fs magic 0x${repoType.toString(16)}`);
  return { root: repoTmp, description: `${name} (${repoTmp}; ${tmp} is not a disk filesystem)` };
}

/** The device a directory lives on, from `df` (informational only). */
function describeSource(dir: string): string {
  const result = spawnSync('df', ['--output=source,fstype', dir], { encoding: 'utf8' });
  const line = result.stdout?.trim().split('\n')[1];
  return line ? line.trim().replace(/\s+/g, ' ') : 'unknown device';
}

/** A fresh directory on the default disk. Never skipped. */
export async function mountDisk(label: string): Promise<Mounted> {
  const { root, description } = defaultDiskRoot();
  const dir = await fs.promises.mkdtemp(path.join(root, tempPrefix(label, 'disk')));
  await fs.promises.chmod(dir, 0o755);
  const forget = atExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    name: 'disk',
    dir,
    description,
    async cleanup() {
      await removeTree(dir);
      forget();
    },
  };
}

/**
 * A private tmpfs of `size` (mount(8) syntax: `64m`, `1m`), e.g. for ENOSPC tests with a small one.
 * Root only; otherwise (or if mount fails) the result has `skipReason` and `dir` is a plain temp dir.
 */
export async function mountTmpfs(label: string, size = '64m', name: TestFsName = 'tmpfs'): Promise<Mounted> {
  const base = await fs.promises.mkdtemp(path.join(os.tmpdir(), tempPrefix(label, `tmpfs-${size}`)));
  await fs.promises.chmod(base, 0o755);
  const dir = path.join(base, 'mnt');
  await fs.promises.mkdir(dir);
  const undo: (() => Promise<void>)[] = [() => removeTree(base)];
  const forget = atExit(() => {
    runSync('umount', ['-l', dir]);
    fs.rmSync(base, { recursive: true, force: true });
  });
  const cleanup = async () => {
    for (const action of undo.reverse()) await action();
    undo.length = 0;
    forget();
  };
  const description = `tmpfs size=${size}`;
  if (!isRoot) {
    await cleanup();
    return {
      name,
      dir,
      description,
      skipReason: `mounting tmpfs needs root (uid ${process.getuid?.()})`,
      cleanup: async () => {},
    };
  }
  try {
    await step('mount tmpfs', 'mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
    undo.push(() => unmount(dir));
    const type = fs.statfsSync(dir).type;
    if (type !== TMPFS_MAGIC) throw new StepError(`mount tmpfs: ${dir} has fs magic 0x${type.toString(16)}, not tmpfs`);
  } catch (error) {
    await cleanup();
    return { name, dir, description, skipReason: (error as Error).message, cleanup: async () => {} };
  }
  return { name, dir, description, cleanup };
}

/** How to make each loop filesystem: its mkfs command line and the smallest image it accepts. */
const LOOP_FS = {
  'ext4-4k': { mkfs: ['mkfs.ext4', '-q', '-F', '-b', '4096'], minMiB: 8 },
  xfs: { mkfs: ['mkfs.xfs', '-q', '-f'], minMiB: 320 },
  btrfs: { mkfs: ['mkfs.btrfs', '-q', '-f'], minMiB: 128 },
} as const;

/**
 * A filesystem on a loop device over a sparse image of `sizeMiB` MiB (at least the filesystem's minimum)
 * with `sectorSize`-byte logical sectors: ext4 with 4096-byte blocks (name 'ext4-4k'), xfs or btrfs.
 * Root only; otherwise (or when any step fails, e.g. mkfs.xfs missing) the result has `skipReason`
 * naming the step.
 */
export async function mountLoop(
  label: string,
  name: keyof typeof LOOP_FS,
  sizeMiB: number,
  sectorSize: number,
): Promise<Mounted> {
  const kind = LOOP_FS[name];
  sizeMiB = Math.max(sizeMiB, kind.minMiB);
  const base = await fs.promises.mkdtemp(path.join(defaultDiskRoot().root, tempPrefix(label, `${name}-${sectorSize}`)));
  await fs.promises.chmod(base, 0o755);
  const image = path.join(base, 'disk.img');
  const dir = path.join(base, 'mnt');
  await fs.promises.mkdir(dir);
  const undo: (() => Promise<void>)[] = [() => removeTree(base)];
  let device: string | undefined;
  let mounted = false;
  const forget = atExit(() => {
    if (mounted) runSync('umount', ['-l', dir]);
    if (device !== undefined) runSync('losetup', ['-d', device]);
    fs.rmSync(base, { recursive: true, force: true });
  });
  const cleanup = async () => {
    for (const action of undo.reverse()) await action();
    undo.length = 0;
    forget();
  };
  const description = `${kind.mkfs[0].replace('mkfs.', '')} on a loop device with ${sectorSize}-byte sectors (${sizeMiB} MiB)`;
  if (!isRoot) {
    await cleanup();
    return { name, dir, description, skipReason: `losetup/mount need root (uid ${process.getuid?.()})`, cleanup: async () => {} };
  }
  try {
    await step('create image', 'truncate', ['-s', `${sizeMiB}M`, image]);
    device = await step('losetup', 'losetup', ['--find', '--show', '--sector-size', String(sectorSize), image]);
    const dev = device;
    undo.push(async () => {
      await run('losetup', ['-d', dev]).catch(() => undefined);
      device = undefined;
    });
    await step(kind.mkfs[0], kind.mkfs[0], [...kind.mkfs.slice(1), dev]);
    await step(`mount ${name}`, 'mount', [dev, dir]);
    mounted = true;
    undo.push(async () => {
      await unmount(dir);
      mounted = false;
    });
    const logical = (await fs.promises.readFile(`/sys/block/${path.basename(dev)}/queue/logical_block_size`, 'utf8')).trim();
    if (Number(logical) !== sectorSize) {
      throw new StepError(`losetup --sector-size ${sectorSize}: ${dev} reports logical_block_size ${logical}`);
    }
    await fs.promises.chmod(dir, 0o755);
    return { name, dir, description: `${description}, ${dev}`, cleanup };
  } catch (error) {
    await cleanup();
    return { name, dir, description, skipReason: (error as Error).message, cleanup: async () => {} };
  }
}

/** ext4 on a loop device whose logical sector size is `sectorSize`, `sizeMiB` MiB large, block size 4096. */
export function mountExt4Loop(label: string, sizeMiB = 256, sectorSize = 4096): Promise<Mounted> {
  return mountLoop(label, 'ext4-4k', sizeMiB, sectorSize);
}

/**
 * Prepares disk, tmpfs and ext4-4k for one test file and registers their cleanup with afterAll.
 * Call at the top level of the test file (see the header comment for why).
 */
export async function useFilesystems(label: string): Promise<TestFs[]> {
  const prepared = [await mountDisk(label), await mountTmpfs(label), await mountExt4Loop(label)];
  afterAll(async () => {
    for (const item of prepared.reverse()) await item.cleanup();
  });
  return prepared;
}

/**
 * A small tmpfs (default 1 MiB) for ENOSPC tests, cleaned up by afterAll. Call at the top level of a
 * test file; check `skipReason`.
 */
export async function useSmallTmpfs(label: string, size = '1m'): Promise<TestFs> {
  const mounted = await mountTmpfs(`${label}-small`, size);
  afterAll(() => mounted.cleanup());
  return mounted;
}

/**
 * Loop-mounted xfs and btrfs (512-byte sectors), for the tests that must cover every filesystem with
 * direct I/O; cleaned up by afterAll. Call at the top level of a test file; check `skipReason`.
 */
export async function useMoreFilesystems(label: string): Promise<TestFs[]> {
  const prepared = [await mountLoop(label, 'xfs', 320, 512), await mountLoop(label, 'btrfs', 128, 512)];
  afterAll(async () => {
    for (const item of prepared.reverse()) await item.cleanup();
  });
  return prepared;
}

/** A small ext4-4k loop filesystem (default 16 MiB) for ENOSPC tests on the direct-I/O path. */
export async function useSmallExt4(label: string, sizeMiB = 16): Promise<TestFs> {
  const mounted = await mountExt4Loop(`${label}-small`, sizeMiB);
  afterAll(() => mounted.cleanup());
  return mounted;
}

/** Prints where each filesystem is, or why it is skipped, so skips are never silent. */
export function describeFilesystems(list: readonly TestFs[]): string {
  return list
    .map((f) => (f.skipReason ? `  ${f.name}: SKIPPED: ${f.skipReason}` : `  ${f.name}: ${f.description} at ${f.dir}`))
    .join('\n');
}
