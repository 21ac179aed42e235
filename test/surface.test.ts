/**
 * A true drop-in: aiofs's surface against node's, on the Node that runs the test. Walks the
 * exports of node:fs and node:fs/promises (through require, and through ESM in a child process:
 * namespace, default and named imports of `aiofs` and `aiofs/promises`) and the methods of a real
 * FileHandle, and fails listing whatever aiofs lacks (the expected count is 0); checks that every name
 * aiofs exports through ESM is the same value as through require (one instance, no stale re-export of
 * node's function where aiofs has its own); and that every function aiofs exports in node's place has
 * node's `.length` and `.name`.
 *
 * Needs a fresh dist/ (npm run build).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const repo = fileURLToPath(new URL('..', import.meta.url));
// By package name, as users load it (the package refers to itself through its "exports").
const aiofs = require(require.resolve('aiofs', { paths: [repo] })) as Record<string, any>;
const aiofsPromises = require(require.resolve('aiofs/promises', { paths: [repo] })) as Record<string, any>;
const nodeFs = require('node:fs') as Record<string, any>;
const nodeFsp = require('node:fs/promises') as Record<string, any>;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiofs-surface-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The names of `reference` that `candidate` lacks. */
const missingFrom = (reference: object, candidate: object, prefix: string): string[] =>
  Object.keys(reference)
    .filter((name) => !(name in candidate))
    .map((name) => `${prefix}.${name}`);

/** Functions present in both whose `.length` differs. */
function lengthDifferences(reference: Record<string, any>, candidate: Record<string, any>, prefix: string): string[] {
  const found: string[] = [];
  for (const name of Object.keys(reference)) {
    const ours = candidate[name];
    const theirs = reference[name];
    if (typeof theirs === 'function' && typeof ours === 'function' && theirs.length !== ours.length) {
      found.push(`${prefix}.${name}: node ${theirs.length}, aiofs ${ours.length}`);
    }
  }
  return found;
}

function report(title: string, list: string[]): void {
  console.log(`${title}: ${list.length}${list.length > 0 ? `\n  ${list.join('\n  ')}` : ''}`);
}

describe('CommonJS (require)', () => {
  it('aiofs has every export of node:fs, aiofs/promises every export of node:fs/promises', () => {
    const missing = [
      ...missingFrom(nodeFs, aiofs, 'aiofs'),
      ...missingFrom(nodeFsp, aiofsPromises, 'aiofs/promises'),
      ...missingFrom(nodeFs.promises, aiofs.promises, 'aiofs.promises'),
      ...missingFrom(nodeFs.constants, aiofs.constants, 'aiofs.constants'),
    ];
    report('missing through require', missing);
    expect(missing).toEqual([]);
  });

  it("require('aiofs').promises === require('aiofs/promises'), and node's aliases stay aliases", () => {
    expect(aiofs.promises).toBe(aiofsPromises);
    expect(aiofs).toBe(require('../dist/index.js'));
    expect(aiofs.FileReadStream === aiofs.ReadStream).toBe(nodeFs.FileReadStream === nodeFs.ReadStream);
    expect(aiofs.FileWriteStream === aiofs.WriteStream).toBe(nodeFs.FileWriteStream === nodeFs.WriteStream);
    expect(aiofs.constants).toBe(nodeFs.constants);
    expect(aiofsPromises.constants).toBe(nodeFsp.constants);
  });

  it("every function export has node's .length", () => {
    const differences = [
      ...lengthDifferences(nodeFs, aiofs, 'aiofs'),
      ...lengthDifferences(nodeFsp, aiofsPromises, 'aiofs/promises'),
    ];
    report('.length differences', differences);
    expect(differences).toEqual([]);
  });

  it("functions and classes aiofs puts in node's place carry node's names (util.inspect and constructor.name show them)", () => {
    const differences: string[] = [];
    for (const [reference, candidate, prefix] of [
      [nodeFs, aiofs, 'aiofs'],
      [nodeFsp, aiofsPromises, 'aiofs/promises'],
    ] as const) {
      for (const name of Object.keys(reference)) {
        const theirs = reference[name];
        const ours = candidate[name];
        if (typeof theirs === 'function' && typeof ours === 'function' && theirs !== ours && theirs.name !== ours.name) {
          differences.push(`${prefix}.${name}.name: node '${theirs.name}', aiofs '${ours.name}'`);
        }
      }
    }
    report('.name differences', differences);
    expect(differences).toEqual([]);
  });
});

describe('FileHandle', () => {
  it("an aiofs handle has every member of node's, with the same .length", async () => {
    const file = path.join(root, 'handle');
    fs.writeFileSync(file, 'x');
    const theirs = await fsp.open(file, 'r');
    const ours = await aiofsPromises.open(file, 'r');
    const members = new Set<string | symbol>();
    for (let o = Object.getPrototypeOf(theirs); o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const key of Reflect.ownKeys(o)) members.add(key);
    }
    for (const key of Reflect.ownKeys(theirs)) members.add(key);
    const missing = [...members].filter((key) => !(key in ours)).map(String);
    const lengths = [...members]
      .filter((key) => key !== 'constructor' && typeof (theirs as any)[key] === 'function' && typeof ours[key] === 'function')
      .filter((key) => (theirs as any)[key].length !== ours[key].length)
      .map((key) => `FileHandle.${String(key)}: node ${(theirs as any)[key].length}, aiofs ${ours[key].length}`);
    await theirs.close();
    await ours.close();
    report('FileHandle members missing', missing);
    report('FileHandle .length differences', lengths);
    expect(missing).toEqual([]);
    expect(lengths).toEqual([]);
  });
});

describe('ES modules (in a child process)', () => {
  /**
   * Imports aiofs and aiofs/promises every way (namespace, default, and one static named import of each
   * of node's names, which would fail to link if one were missing) and reports what it found as JSON.
   */
  function esmReport(): Record<string, any> {
    const fsNames = Object.keys(nodeFs).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
    const fspNames = Object.keys(nodeFsp).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
    const script = `
      import * as nodeFs from 'node:fs';
      import * as nodeFsp from 'node:fs/promises';
      import * as ns from 'aiofs';
      import * as nsp from 'aiofs/promises';
      import fsDefault from 'aiofs';
      import fspDefault from 'aiofs/promises';
      import { ${fsNames.map((name, i) => `${name} as fs_${i}`).join(', ')} } from 'aiofs';
      import { ${fspNames.map((name, i) => `${name} as fsp_${i}`).join(', ')} } from 'aiofs/promises';
      import { mkdir, open, readFile } from 'aiofs/promises';
      import { createRequire } from 'node:module';
      const require = createRequire(process.cwd() + '/');
      const cjs = require('aiofs');
      const cjsp = require('aiofs/promises');
      const named = [${fsNames.map((_, i) => `fs_${i}`).join(', ')}];
      const namedp = [${fspNames.map((_, i) => `fsp_${i}`).join(', ')}];
      const fsNames = ${JSON.stringify(fsNames)};
      const fspNames = ${JSON.stringify(fspNames)};
      const missing = (reference, candidate, prefix) => Object.keys(reference).filter((k) => k !== 'default' && !(k in candidate)).map((k) => prefix + '.' + k);
      const notSame = (esm, cjsModule, prefix) => Object.keys(esm).filter((k) => k !== 'default' && esm[k] !== cjsModule[k]).map((k) => prefix + '.' + k);
      console.log(JSON.stringify({
        missing: [
          ...missing(nodeFs, ns, "import * as fs from 'aiofs'"),
          ...missing(nodeFsp, nsp, "import * as fsp from 'aiofs/promises'"),
          ...missing(nodeFs, fsDefault, "import fs from 'aiofs'"),
          ...missing(nodeFsp, fspDefault, "import fsp from 'aiofs/promises'"),
        ],
        notSameAsRequire: [
          ...notSame(ns, cjs, "import * as fs from 'aiofs'"),
          ...notSame(nsp, cjsp, "import * as fsp from 'aiofs/promises'"),
          ...fsNames.filter((k, i) => named[i] !== cjs[k]).map((k) => "import { " + k + " } from 'aiofs'"),
          ...fspNames.filter((k, i) => namedp[i] !== cjsp[k]).map((k) => "import { " + k + " } from 'aiofs/promises'"),
        ],
        defaultIsRequire: fsDefault === cjs,
        promisesDefaultIsRequire: fspDefault === cjsp,
        promisesIdentity: ns.promises === nsp.default && cjs.promises === cjsp,
        namedTypes: [typeof mkdir, typeof open, typeof readFile],
        namedAreAiofs: open === cjsp.open && readFile === cjsp.readFile && mkdir === nodeFsp.mkdir,
      }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    return JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, any>;
  }

  it("namespace, default and named imports of aiofs and aiofs/promises have all of node's names, as the same values as require gives", () => {
    const found = esmReport();
    report('missing through import', found.missing);
    report('import and require disagree', found.notSameAsRequire);
    expect(found.missing).toEqual([]);
    expect(found.notSameAsRequire).toEqual([]);
    expect(found.defaultIsRequire).toBe(true);
    expect(found.promisesDefaultIsRequire).toBe(true);
    expect(found.promisesIdentity).toBe(true);
    expect(found.namedTypes).toEqual(['function', 'function', 'function']);
    expect(found.namedAreAiofs).toBe(true);
  });
});
