// Which aiofs build the benchmarks load: this checkout's, or the one AIOFS_BENCH_BUILD names (the suite's
// --aiofs DIR sets it in every trial's environment), so that one benchmark compares two builds of aiofs.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The environment variable that names the aiofs checkout to load (its dist/ and build/). */
export const AIOFS_BUILD_VAR = 'AIOFS_BENCH_BUILD';

/** The aiofs checkout in use: $AIOFS_BENCH_BUILD, or the one this file belongs to. */
export const aiofsRoot = () => resolve(process.env[AIOFS_BUILD_VAR] || fileURLToPath(new URL('../../', import.meta.url)));

/** The path of `name` in the build's dist/ (e.g. 'promises.mjs'), under `root`. */
export const aiofsDist = (name, root = aiofsRoot()) => join(root, 'dist', name);

/** import() of a dist/ module of the build in use. */
export const importAiofs = (name) => import(pathToFileURL(aiofsDist(name)).href);

/** { dir, commit } of a checkout: its git commit (short, "+dirty" with local changes), or null outside git. */
export function describeBuild(dir) {
  const git = (...args) => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return { dir, commit: null };
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return { dir, commit: `${head.stdout.trim()}${dirty ? '+dirty' : ''}` };
}
