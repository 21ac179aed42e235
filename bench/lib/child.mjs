// Run a trial script in a fresh Node process (no JIT warm-up, heap or
// threadpool state carried over between trials) and parse the JSON it prints
// as its last stdout line. stderr goes straight to our terminal.
// `node` is the Node binary (default: this one); `launcher` (a command and its arguments) runs node,
// e.g. a shell that first moves itself into a cgroup.
import { spawnSync } from 'node:child_process';

/**
 * @param {string} script
 * @param {unknown[]} args
 * @param {NodeJS.ProcessEnv} [env]
 * @param {{ launcher?: string[], node?: string }} [how]
 */
export function runNodeTrial(script, args, env = process.env, { launcher = [], node = process.execPath } = {}) {
  const argv = [...launcher.slice(1), node, script, ...args.map(String)];
  const r = spawnSync(launcher[0] ?? /** @type {string} */ (argv.shift()), argv, {
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`trial ${script} ${args.join(' ')} failed (exit ${r.status ?? r.signal}); see its stderr above`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`trial printed no JSON result: ${r.stdout.slice(-500)}`);
  }
}
