import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ERR_FS_FILE_TOO_LARGE,
  ERR_INVALID_ARG_TYPE,
  ERR_INVALID_ARG_VALUE,
  ERR_OUT_OF_RANGE,
  addNumericalSeparator,
  describeReceived,
  systemError,
} from '../lib/errors';

let dir = '';
let file = '';

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aiofs-errors-'));
  file = path.join(dir, 'file.txt');
  await fs.writeFile(file, '0123456789');
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Everything observable about an error that fs/promises users look at. */
function shape(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { notAnError: err };
  const e = err as NodeJS.ErrnoException & { dest?: unknown };
  return {
    constructor: e.constructor.name,
    name: e.name,
    message: e.message,
    code: e.code,
    errno: e.errno,
    syscall: e.syscall,
    path: e.path,
    dest: e.dest,
    cause: e.cause,
    hasCause: Object.hasOwn(e, 'cause'),
    keys: Object.keys(e),
    toString: String(e),
    stackHeader: e.stack?.split('\n')[0],
    isError: e instanceof Error,
    isTypeError: e instanceof TypeError,
    isRangeError: e instanceof RangeError,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to reject');
}

/** Runs `fn` with stacks formatted by Node's own formatter (vitest installs an override). */
async function underNodeStackFormatter<T>(fn: () => T | Promise<T>): Promise<T> {
  const saved: unknown = Error.prepareStackTrace;
  Reflect.set(Error, 'prepareStackTrace', undefined);
  try {
    return await fn();
  } finally {
    Reflect.set(Error, 'prepareStackTrace', saved);
  }
}

describe('systemError matches libuv errors from fs/promises', () => {
  const cases: [string, () => Promise<unknown>, () => Error][] = [
    ['ENOENT open, string path', () => fs.open('/nonexistent-aiofs'), () => systemError(-2, 'open', '/nonexistent-aiofs')],
    [
      'ENOENT open, Buffer path',
      () => fs.open(Buffer.from('/nonexistent-aiofs-b')),
      () => systemError(-2, 'open', Buffer.from('/nonexistent-aiofs-b')),
    ],
    [
      'ENOENT open, non-UTF-8 Buffer path',
      () => fs.open(Buffer.from([0x2f, 0xff, 0x61])),
      () => systemError(-2, 'open', Buffer.from([0x2f, 0xff, 0x61])),
    ],
    ['ENOENT open, empty path', () => fs.open(''), () => systemError(-2, 'open', '')],
    [
      'ENOENT rename with dest',
      () => fs.rename('/nonexistent-aiofs/a', '/nonexistent-aiofs/b'),
      () => systemError(-2, 'rename', '/nonexistent-aiofs/a', '/nonexistent-aiofs/b'),
    ],
    ['EEXIST open wx', () => fs.open(file, 'wx'), () => systemError(-17, 'open', file)],
    ['EEXIST mkdir', () => fs.mkdir(dir), () => systemError(-17, 'mkdir', dir)],
    ['ENOTDIR open', () => fs.open(path.join(file, 'x')), () => systemError(-20, 'open', path.join(file, 'x'))],
    [
      'EISDIR read, no path',
      async () => {
        const fh = await fs.open(dir);
        try {
          return await fh.read(Buffer.alloc(4), 0, 4, 0);
        } finally {
          await fh.close();
        }
      },
      () => systemError(-21, 'read'),
    ],
    [
      'EBADF write on read-only handle',
      async () => {
        const fh = await fs.open(file, 'r');
        try {
          return await fh.write(Buffer.from('x'), 0, 1, 0);
        } finally {
          await fh.close();
        }
      },
      () => systemError(-9, 'write'),
    ],
  ];

  it.each(cases)('%s', async (_label, real, ours) => {
    const expected = await rejection(real());
    expect(shape(ours())).toEqual(shape(expected));
    expect(await underNodeStackFormatter(() => shape(ours()))).toEqual(
      await underNodeStackFormatter(async () => shape(await rejection(real()))),
    );
  });

  it('falls back to UNKNOWN for errnos libuv does not know', () => {
    const err = systemError(-99999, 'read');
    expect(err.message).toBe('UNKNOWN: unknown error, read');
    expect(err.code).toBe('UNKNOWN');
    expect(err.errno).toBe(-99999);
    expect(Object.keys(err)).toEqual(['errno', 'code', 'syscall']);
  });
});

describe('ERR_* errors match Node errors raised through public APIs', () => {
  const cases: [string, () => Promise<unknown>, () => Error][] = [
    [
      'ERR_INVALID_ARG_TYPE path',
      () => fs.open(5 as never),
      () => new ERR_INVALID_ARG_TYPE('path', ['string', 'Buffer', 'URL'], 5),
    ],
    [
      'ERR_INVALID_ARG_TYPE options property',
      () => fs.readFile(file, { signal: 5 as never }),
      () => new ERR_INVALID_ARG_TYPE('options.signal', 'AbortSignal', 5),
    ],
    ['ERR_INVALID_ARG_VALUE flags', () => fs.open(file, 'bogus'), () => new ERR_INVALID_ARG_VALUE('flags', 'bogus')],
    [
      'ERR_INVALID_ARG_VALUE path with reason',
      () => fs.open('/a\u0000b'),
      () => new ERR_INVALID_ARG_VALUE('path', '/a\u0000b', 'must be a string, Uint8Array, or URL without null bytes'),
    ],
    [
      'ERR_OUT_OF_RANGE big integer',
      () => fs.open(file, 2 ** 40),
      () => new ERR_OUT_OF_RANGE('flags', '>= -2147483648 && <= 2147483647', 2 ** 40),
    ],
    ['ERR_OUT_OF_RANGE fraction', () => fs.open(file, 'r', 1.5), () => new ERR_OUT_OF_RANGE('mode', 'an integer', 1.5)],
  ];

  it.each(cases)('%s', async (_label, real, ours) => {
    // As seen under a stack-formatting override (here vitest's): no code in the header.
    expect(shape(ours())).toEqual(shape(await rejection(real())));
    // Under Node's own formatter the header reads `TypeError [ERR_X]: …`, with `name` still 'TypeError'.
    const expected = await underNodeStackFormatter(async () => shape(await rejection(real())));
    expect(await underNodeStackFormatter(() => shape(ours()))).toEqual(expected);
    expect(expected['stackHeader']).toContain(`[${String(expected['code'])}]: `);
  });

  it('ERR_FS_FILE_TOO_LARGE (sparse file over 2 GiB)', async () => {
    const big = path.join(dir, 'big');
    await fs.writeFile(big, '');
    await fs.truncate(big, 2 ** 31);
    try {
      const expected = await rejection(fs.readFile(big));
      expect(shape(new ERR_FS_FILE_TOO_LARGE(2 ** 31))).toEqual(shape(expected));
    } finally {
      await fs.rm(big);
    }
  });
});

/**
 * Values whose descriptions Node's formatters special-case, as source text
 * so that a `node --expose-internals` child can build the same values.
 */
const valueExpressions = [
  'undefined',
  'null',
  'true',
  'false',
  '0',
  '-0',
  '1',
  '-1',
  '1.5',
  'NaN',
  'Infinity',
  '-Infinity',
  '2 ** 32',
  '2 ** 32 + 1',
  '-(2 ** 32 + 1)',
  '2 ** 53',
  '-(2 ** 53)',
  '123456789012',
  '1e21',
  '1.5e20',
  '0n',
  '5n',
  '-5n',
  '2n ** 32n',
  '2n ** 32n + 1n',
  '-(2n ** 32n + 1n)',
  '2n ** 64n',
  '-(2n ** 63n)',
  "''",
  "'abc'",
  "'it\\'s'",
  "'a'.repeat(28)",
  "'a'.repeat(29)",
  "'quote\\'' + 'b'.repeat(40)",
  "'\\u0000'",
  "'line\\nbreak'",
  "Symbol('s')",
  'Symbol()',
  'Symbol.iterator',
  'function named() {}',
  '() => 1',
  'class Foo {}',
  '({})',
  '[]',
  '[1, 2, 3]',
  'Object.create(null)',
  'new Map([[1, 2]])',
  'Buffer.from("ab")',
  'new Uint8Array(300)',
  'new (class Bar {})()',
  '({ constructor: { name: "Fake" } })',
  '({ constructor: 0 })',
  'new Date(0)',
  '/re/g',
  "'x'.repeat(126)",
  "'x'.repeat(127)",
  "'x'.repeat(200)",
  '({ a: { b: { c: { d: 1 } } } })',
];

const errorCalls = [
  "new codes.ERR_INVALID_ARG_TYPE('path', ['string', 'Buffer', 'URL'], __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('options', 'Object', __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('options', ['string', 'Object'], __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('options.signal', 'AbortSignal', __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('buffers', 'ArrayBufferView[]', __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('data', ['string', 'Buffer', 'TypedArray', 'DataView'], __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('x', ['number', 'bigint', 'Object', 'Foo', 'a thing', 'other'], __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('x', ['Foo', 'Bar', 'Baz', 'Qux'], __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('x', ['integer', 'bigint'], __V__)",
  "new codes.ERR_INVALID_ARG_TYPE('first argument', 'string', __V__)",
  "new codes.ERR_INVALID_ARG_VALUE('flags', __V__)",
  "new codes.ERR_INVALID_ARG_VALUE('options.encoding', __V__, 'is invalid encoding')",
  "new codes.ERR_OUT_OF_RANGE('length', '>= 0', __V__)",
];

describe('ERR_* messages match Node internals for a table of values', () => {
  type Described =
    { ok: { constructor: string; name: string; code: string; message: string; keys: string[] } } | { threw: string };
  let expected: Described[][] = [];

  beforeAll(() => {
    const script = `
      const { codes, determineSpecificType } = require('internal/errors');
      const { values, calls } = JSON.parse(process.argv[1]);
      const describe = (make) => {
        try {
          const e = make();
          return { ok: { constructor: e.constructor.name, name: e.name, code: e.code, message: e.message, keys: Object.keys(e) } };
        } catch (err) { return { threw: String(err) }; }
      };
      const out = values.map((v) => [
        describe(() => ({ constructor: { name: 'String' }, name: 'x', code: 'x', message: determineSpecificType((0, eval)('(' + v + ')')) })),
        ...calls.map((c) => describe(() => (0, eval)(c.replace('__V__', '(' + v + ')')))),
      ]);
      process.stdout.write(JSON.stringify(out));
    `;
    const child = spawnSync(
      process.execPath,
      [
        '--expose-internals',
        '-e',
        `globalThis.codes = require('internal/errors').codes; ${script}`,
        JSON.stringify({ values: valueExpressions, calls: errorCalls }),
      ],
      { encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expected = JSON.parse(child.stdout) as Described[][];
  });

  const codes = { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE };
  const run = (make: () => Error | { message: string }): Described => {
    try {
      const e = make();
      if (!(e instanceof Error)) {
        return {
          ok: {
            constructor: 'Object',
            name: 'x',
            code: 'x',
            message: e.message,
            keys: ['constructor', 'name', 'code', 'message'],
          },
        };
      }
      const { code } = e as NodeJS.ErrnoException;
      return {
        ok: { constructor: e.constructor.name, name: e.name, code: String(code), message: e.message, keys: Object.keys(e) },
      };
    } catch (err) {
      return { threw: String(err) };
    }
  };

  it.each(valueExpressions.map((v, i) => [v, i] as const))('%s', (source, index) => {
    const value: unknown = new Function('Buffer', `return (${source});`)(Buffer);
    const ours: Described[] = [
      run(() => ({ message: describeReceived(value) })),
      ...errorCalls.map((call) => run(() => new Function('codes', '__V__', `return ${call};`)(codes, value) as Error)),
    ];
    const theirs = expected[index];
    expect(theirs).toBeDefined();
    // The determineSpecificType row is compared by message only.
    expect(ours.map((d) => ('ok' in d ? d.ok.message : d.threw))).toEqual(
      theirs?.map((d) => ('ok' in d ? d.ok.message : d.threw)),
    );
    expect(ours.slice(1)).toEqual(theirs?.slice(1));
  });
});

describe('addNumericalSeparator', () => {
  it.each([
    ['0', '0'],
    ['123', '123'],
    ['1234', '1_234'],
    ['-1234', '-1_234'],
    ['-123', '-123'],
    ['4294967297', '4_294_967_297'],
    ['18446744073709551616', '18_446_744_073_709_551_616'],
  ])('%s → %s', (input, output) => {
    expect(addNumericalSeparator(input)).toBe(output);
  });
});
