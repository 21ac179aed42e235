/**
 * `aiofs bench ...`: hands its arguments to the benchmark suite (bench/suite/main.mjs, which parses
 * them and prints its own help). Imported only when asked for, so `cp`, `cat` and `info` never load it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Command } from './args';

/** The suite's entry point: the arguments after `bench` in, the exit status out. */
interface Suite {
  main(argv: string[]): Promise<number>;
}

/** dist/cli/ -> the package root -> bench/suite/main.mjs. */
const SUITE = path.join(__dirname, '..', '..', 'bench', 'suite', 'main.mjs');

export const bench: Command = {
  name: 'bench',
  summary: "compare aiofs with node:fs (and fio) on this machine's disk; see aiofs bench --help",
  synopsis: 'aiofs bench [--dir DIR] [--size SIZE] [--quick] [--json FILE]',
  help: "Usage: aiofs bench [options]: run `aiofs bench --help` for the suite's own options.\n",
  async run(args) {
    if (!fs.existsSync(SUITE)) {
      process.stderr.write(`aiofs bench: the benchmark suite is not installed (${SUITE} is missing)\n`);
      return 1;
    }
    const suite = (await import(pathToFileURL(SUITE).href)) as Suite;
    return suite.main(args);
  },
};
