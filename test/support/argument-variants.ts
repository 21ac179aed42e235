/**
 * The variants of the differential argument suite: for every function aiofs exports (fs/promises'
 * and node:fs's callback readFile, writeFile and appendFile), every FileHandle method and every stream
 * option, one call per (parameter, odd value) with the other arguments valid. A variant is a label and
 * a function that builds the argument list from a VariantContext (the variant's own fresh 64-byte file,
 * an open or closed handle, descriptors, recording callbacks); the runner (argument-differential.ts)
 * makes the same call through node:fs and through aiofs and compares.
 *
 * No expected results live here: what a call should do is whatever node:fs does on the running Node.
 * Plain code without vitest: the runner's child processes load it too (transpiled by TypeScript).
 */
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** What a variant's argument builder may use; the runner closes everything opened through it. */
export interface VariantContext {
  /** The variant's 64-byte file, relative to the child's working directory (the same text on both sides). */
  readonly file: string;
  /** A path in the variant's directory that does not exist. */
  readonly missing: string;
  /** A directory in the variant's directory. */
  readonly directory: string;
  /** For FileHandle targets, the handle the method is called on (open, or closed as the variant asks). */
  readonly handle: unknown;
  /** Opens the variant's file through the implementation under test's `open` (fs/promises' or aiofs's). */
  openHandle(flags?: string): Promise<unknown>;
  /** A descriptor of the variant's file, opened with node:fs. */
  openFd(flags?: string): number;
  /** A number that was a descriptor of the variant's file and is closed now. */
  closedFd(): number;
  /** Stream `fs` operations: node:fs's own, each recording its name in the outcome. */
  customFs(): Record<string, unknown>;
  /**
   * Callback targets: a new callback, numbered in the order they are made (0, 1...), whose every call
   * the outcome records (which one, whether before the call returned, its arguments); `throws`: it
   * throws after recording.
   */
  callback(throws?: boolean): (...args: unknown[]) => void;
}

/** Where a variant's call goes: a function of fs/promises, a FileHandle method, or a stream factory. */
export type Target =
  | 'open'
  | 'readFile'
  | 'writeFile'
  | 'appendFile'
  | 'FileHandle.read'
  | 'FileHandle.readv'
  | 'FileHandle.write'
  | 'FileHandle.writev'
  | 'FileHandle.readFile'
  | 'FileHandle.writeFile'
  | 'FileHandle.appendFile'
  | 'FileHandle.truncate'
  | 'FileHandle.stat'
  | 'FileHandle.sync'
  | 'FileHandle.datasync'
  | 'FileHandle.chmod'
  | 'FileHandle.utimes'
  | 'FileHandle.close'
  /** close() twice without waiting: the outcome holds both results and whether the promises are one. */
  | 'FileHandle.close twice'
  | 'createReadStream'
  | 'createWriteStream'
  /** node:fs's callback functions (aiofs's own, from its index or put into node:fs by aiofs/register). */
  | 'fs.readFile (callback)'
  | 'fs.writeFile (callback)'
  | 'fs.appendFile (callback)';

/** The callback targets, and the name of node:fs's function each calls. */
export const CALLBACK_TARGETS = {
  'fs.readFile (callback)': 'readFile',
  'fs.writeFile (callback)': 'writeFile',
  'fs.appendFile (callback)': 'appendFile',
} as const satisfies Partial<Record<Target, string>>;

export type CallbackTarget = keyof typeof CALLBACK_TARGETS;

export function isCallbackTarget(target: Target): target is CallbackTarget {
  return Object.hasOwn(CALLBACK_TARGETS, target);
}

export interface Variant {
  readonly target: Target;
  readonly label: string;
  /** FileHandle targets: the flags the handle is opened with and whether it is closed before the call. */
  readonly handle?: { readonly flags: string; readonly closed: boolean };
  readonly args: (ctx: VariantContext) => unknown[] | Promise<unknown[]>;
}

/** An argument value: its name in labels, and how to make a fresh one. */
interface Value {
  readonly name: string;
  readonly make: (ctx: VariantContext) => unknown;
}

const value = (name: string, make: (ctx: VariantContext) => unknown): Value => ({ name, make });
const constant = (name: string, v: unknown): Value => value(name, () => v);

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Every parameter gets these. */
const COMMON: readonly Value[] = [
  constant('undefined', undefined),
  constant('null', null),
  constant('-1', -1),
  constant('-2', -2),
  constant('0', 0),
  constant('-0', -0),
  constant('1', 1),
  constant('0.5', 0.5),
  constant('1.5', 1.5),
  constant('NaN', NaN),
  constant('Infinity', Infinity),
  constant('-Infinity', -Infinity),
  constant('2**31', 2 ** 31),
  constant('2**32', 2 ** 32),
  constant('2**53-1', 2 ** 53 - 1),
  constant('2**53', 2 ** 53),
  constant('1n', 1n),
  constant('2n', 2n),
  constant('40n', 40n),
  constant('-1n', -1n),
  constant("'1'", '1'),
  constant("''", ''),
  constant("'x'", 'x'),
  value('{}', () => ({})),
  value('[]', () => []),
  constant('true', true),
  constant('false', false),
  value("Symbol('s')", () => Symbol('s')),
  value('function fn() {}', () => function fn() {}),
];

/** A shorter list, for options that are flags or names rather than numbers. */
const SOME: readonly Value[] = COMMON.filter((v) =>
  [
    'undefined',
    'null',
    '-1',
    '0',
    '1',
    '1.5',
    'NaN',
    '2**53',
    '1n',
    "'1'",
    "''",
    "'x'",
    '{}',
    '[]',
    'true',
    'false',
    "Symbol('s')",
    'function fn() {}',
  ].includes(v.name),
);

const FEW: readonly Value[] = COMMON.filter((v) => ['null', '-1', '1.5', '1n', "'x'", '{}', 'true'].includes(v.name));

/** Fills `length` bytes at `byteOffset` of a new ArrayBuffer with `fill` (a byte or 'text' for a-z). */
function bytes(length: number, fill: number | 'text', byteOffset = 0): Buffer {
  const b = Buffer.from(new ArrayBuffer(byteOffset + length + 3), byteOffset, length);
  for (let i = 0; i < length; i++) b[i] = fill === 'text' ? 0x61 + (i % 26) : fill;
  return b;
}

/** Views to read into (0xee-filled, so what the read wrote is visible), and things that are no view. */
function readTargets(): Value[] {
  return [
    value('Buffer(0)', () => Buffer.alloc(0)),
    value('Buffer(1)', () => bytes(1, 0xee)),
    value('Buffer(3)', () => bytes(3, 0xee)),
    value('Buffer(8) at byte 5 of its ArrayBuffer', () => bytes(8, 0xee, 5)),
    value('Uint8Array(8)', () => new Uint8Array(8).fill(0xee)),
    value('Uint16Array(4)', () => new Uint16Array(4).fill(0xeeee)),
    value('Float64Array(2)', () => new Float64Array(bytes(16, 0xee).buffer, 0, 2)),
    value('DataView(8)', () => new DataView(bytes(8, 0xee).buffer, 0, 8)),
    value('ArrayBuffer(8)', () => new ArrayBuffer(8)),
  ];
}

/** Views to write from (letters, so the file shows what was written). */
function writeSources(): Value[] {
  return [
    value('Buffer(0)', () => Buffer.alloc(0)),
    value('Buffer(1)', () => bytes(1, 'text')),
    value('Buffer(3)', () => bytes(3, 'text')),
    value('Buffer(8) at byte 5 of its ArrayBuffer', () => bytes(8, 'text', 5)),
    value('Uint8Array(8)', () => new Uint8Array(bytes(8, 'text'))),
    value('Uint16Array(4)', () => new Uint16Array(bytes(8, 'text').buffer, 0, 4)),
    value('Float64Array(2)', () => new Float64Array(bytes(16, 'text').buffer, 0, 2)),
    value('DataView(8)', () => new DataView(bytes(8, 'text').buffer, 0, 8)),
    value('ArrayBuffer(8)', () => bytes(8, 'text').buffer),
  ];
}

const ENCODINGS: readonly Value[] = ['utf8', 'hex', 'base64', 'latin1', 'bogus', 'buffer', 'UTF8'].map((e) =>
  constant(`'${e}'`, e),
);

/** Open flags: strings node knows, one it does not, and numbers (O_RDONLY, O_RDWR, O_WRONLY|O_CREAT|O_TRUNC, O_RDWR|O_APPEND). */
const FLAGS: readonly Value[] = [
  ...['r', 'r+', 'rs+', 'w', 'w+', 'a', 'a+', 'wx', 'ax', 'as', 'sa', 'R', 'bogus'].map((f) => constant(`'${f}'`, f)),
  constant('0 (O_RDONLY)', 0),
  constant('2 (O_RDWR)', 2),
  constant('577 (O_WRONLY|O_CREAT|O_TRUNC)', 577),
  constant('1026 (O_RDWR|O_APPEND)', 1026),
];

const MODES: readonly Value[] = [
  constant('0o644', 0o644),
  constant('0o600', 0o600),
  constant("'644'", '644'),
  constant("'0o644'", '0o644'),
  constant("'x'", 'x'),
  constant('-1', -1),
  constant('0o4755', 0o4755),
  constant('2**32', 2 ** 32),
];

/** Path forms: the variant's file as string, Buffer and file: URL, and paths that must fail. */
const PATHS: readonly Value[] = [
  value('the file', (c) => c.file),
  value('the file as a Buffer', (c) => Buffer.from(c.file)),
  value('the file as a file: URL', (c) => pathToFileURL(c.file)),
  value('the file as a file: URL string', (c) => pathToFileURL(c.file).href),
  value('an http: URL', () => new URL('http://example.com/data')),
  value('a file: URL with a host', (c) => new URL(`file://somehost${pathToFileURL(c.file).pathname}`)),
  value('the file with a NUL byte', (c) => `${c.file}\u0000x`),
  value('a Buffer with a NUL byte', (c) => Buffer.from(`${c.file}\u0000x`)),
  value('a missing file', (c) => c.missing),
  value('a directory', (c) => c.directory),
];

const SIGNALS: readonly Value[] = [
  value('an aborted signal', () => AbortSignal.abort()),
  value("a signal aborted with reason 'why'", () => AbortSignal.abort('why')),
  value('a live signal', () => new AbortController().signal),
  ...FEW,
];

const DATES: readonly Value[] = [
  value('new Date(1000)', () => new Date(1000)),
  value('new Date(NaN)', () => new Date(NaN)),
  constant("'1000'", '1000'),
  constant("'1970-01-01'", '1970-01-01'),
  constant('1e10', 1e10),
];

/** Data for writeFile/appendFile beyond COMMON: strings, views, iterables, streams, boxed strings. */
function writeData(): Value[] {
  return [
    constant("'text'", 'text'),
    constant("'héllo €'", 'héllo €'),
    constant("'ff00'", 'ff00'),
    ...writeSources(),
    value("['ab', Buffer('cd')]", () => ['ab', Buffer.from('cd')]),
    value('[1, 2]', () => [1, 2]),
    value("a generator of 'ab', 'cd'", () =>
      (function* () {
        yield 'ab';
        yield 'cd';
      })(),
    ),
    value("an async generator of 'ab', Buffer('cd')", () =>
      (async function* () {
        yield 'ab';
        yield Buffer.from('cd');
      })(),
    ),
    value("Readable.from(['ab', 'cd'])", () => Readable.from(['ab', 'cd'])),
    value("new String('boxed')", () => new String('boxed')),
    value("{ toString() { return 'obj' } }", () => ({ toString: () => 'obj' })),
  ];
}

/** Values for a stream's `fd` option: real, bogus and closed descriptors, FileHandles, and odd values. */
function fdValues(openFlags: string): Value[] {
  return [
    value(`an open descriptor (${openFlags})`, (c) => c.openFd(openFlags)),
    constant('a bogus descriptor (99999)', 99999),
    value('a closed descriptor', (c) => c.closedFd()),
    // Descriptors 0 and 1 belong to the runner's child process: values that name them are left out.
    ...COMMON.filter((v) => !['0', '-0', '1'].includes(v.name)),
  ];
}

const CUSTOM_FS: readonly Value[] = [
  value("custom operations (node:fs's own)", (c) => c.customFs()),
  constant('NaN', NaN),
  constant('null', null),
  value('{}', () => ({})),
  value('{ open: 1 }', () => ({ open: 1 })),
  constant("'x'", 'x'),
];

// ---------------------------------------------------------------------------------------------
// Sweeps
// ---------------------------------------------------------------------------------------------

interface On {
  readonly target: Target;
  /** The function's name in labels, when it is not the target's ('fs.readFile' for 'fs.readFile (callback)'). */
  readonly name?: string;
  /** The parameter list as shown in labels, e.g. 'buffer, offset, length, position'. */
  readonly signature: string;
  readonly handle?: Variant['handle'];
}

function callee(on: On): string {
  return on.name ?? on.target;
}

/** One variant per value of each parameter in turn (`sweeps[i]`), the other parameters at `base`. */
function positional(on: On, base: readonly Value[], sweeps: readonly (readonly Value[] | undefined)[]): Variant[] {
  const names = on.signature.split(', ');
  const out: Variant[] = [];
  sweeps.forEach((values, at) => {
    for (const v of values ?? []) {
      out.push({
        target: on.target,
        label: `${callee(on)}(${on.signature}): ${names[at]} = ${v.name}`,
        handle: on.handle,
        args: (ctx) =>
          makeAll(
            ctx,
            base.map((b, i) => (i === at ? v : b)),
          ),
      });
    }
  });
  return out;
}

/** One variant per (key, value): `{ ...base, [key]: value }` as the options argument at `at`. */
function optionKeys(
  on: On,
  args: readonly Value[],
  at: number,
  base: Readonly<Record<string, Value>>,
  keys: Readonly<Record<string, readonly Value[]>>,
): Variant[] {
  const out: Variant[] = [];
  for (const [key, values] of Object.entries(keys)) {
    for (const v of values) {
      out.push({
        target: on.target,
        label: `${callee(on)}(${on.signature}): { ${key}: ${v.name} }${Object.keys(base).length > 0 ? ` with ${describeBase(base)}` : ''}`,
        handle: on.handle,
        args: async (ctx) => {
          const options: Record<string, unknown> = {};
          for (const [k, b] of Object.entries(base)) options[k] = await b.make(ctx);
          options[key] = await v.make(ctx);
          return [...(await makeAll(ctx, args.slice(0, at))), options, ...(await makeAll(ctx, args.slice(at + 1)))];
        },
      });
    }
  }
  return out;
}

/** Makes each value in order (a value may be a promise: a FileHandle opened first). */
async function makeAll(ctx: VariantContext, values: readonly Value[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const v of values) out.push(await v.make(ctx));
  return out;
}

function describeBase(base: Readonly<Record<string, Value>>): string {
  return `{ ${Object.entries(base)
    .map(([k, v]) => `${k}: ${v.name}`)
    .join(', ')} }`;
}

/** A single call with fixed arguments. */
function call(on: On, label: string, args: readonly Value[]): Variant {
  return {
    target: on.target,
    label: `${callee(on)}(${on.signature}): ${label}`,
    handle: on.handle,
    args: (ctx) => makeAll(ctx, args),
  };
}

const OPEN_RW = { flags: 'r+', closed: false } as const;
const CLOSED = { flags: 'r+', closed: true } as const;
/** Handles that cannot do everything: read-only, write-only, appending. */
const OTHER_HANDLES = [
  { flags: 'r', closed: false },
  { flags: 'a', closed: false },
  { flags: 'a+', closed: false },
  { flags: 'w', closed: false },
] as const;

/** The base call of a FileHandle target, on a closed handle and on handles opened with other flags. */
function onOtherHandles(
  on: On,
  label: string,
  args: readonly Value[],
  flags: readonly Variant['handle'][] = [CLOSED, ...OTHER_HANDLES],
): Variant[] {
  return flags.map((handle) => ({
    target: on.target,
    label: `${callee(on)}(${on.signature}): ${label} on a ${handle!.closed ? 'closed handle' : `handle opened '${handle!.flags}'`}`,
    handle,
    args: (ctx: VariantContext) => makeAll(ctx, args),
  }));
}

const buf16 = value('Buffer(16)', () => bytes(16, 0xee));
const src8 = value("Buffer('abcdefgh')", () => bytes(8, 'text'));
const num = (n: number) => constant(String(n), n);
const str = (s: string) => constant(`'${s}'`, s);
const absent = constant('undefined', undefined);
const file = value('the file', (c) => c.file);
const missing = value('a missing file', (c) => c.missing);

// ---------------------------------------------------------------------------------------------
// FileHandle methods
// ---------------------------------------------------------------------------------------------

function handleRead(): Variant[] {
  const args: On = { target: 'FileHandle.read', signature: 'buffer, offset, length, position', handle: OPEN_RW };
  const withOptions: On = { target: 'FileHandle.read', signature: 'buffer, options', handle: OPEN_RW };
  const onlyOptions: On = { target: 'FileHandle.read', signature: 'options', handle: OPEN_RW };
  const base = [buf16, num(0), num(4), num(1)];
  return [
    ...positional(args, base, [
      [...COMMON, ...readTargets()],
      [...COMMON, num(15), num(16), num(17)],
      [...COMMON, num(12), num(16), num(17), num(2 ** 31 - 1)],
      [...COMMON, num(63), num(64), num(100)],
    ]),
    call(args, 'read(buffer)', [buf16]),
    call(args, 'read(buffer, 2)', [buf16, num(2)]),
    call(args, 'read(buffer, 2, 3)', [buf16, num(2), num(3)]),
    call(args, 'read(Uint16Array(4), 1, 5, 1)', [
      readTargets().find((v) => v.name === 'Uint16Array(4)')!,
      num(1),
      num(5),
      num(1),
    ]),
    ...onOtherHandles(args, 'base call', base),
    ...positional(withOptions, [buf16, absent], [undefined, COMMON]),
    ...optionKeys(
      withOptions,
      [buf16, absent],
      1,
      { offset: num(0), length: num(4), position: num(1) },
      {
        offset: [...COMMON, num(16), num(17)],
        length: [...COMMON, num(16), num(17)],
        position: [...COMMON, num(64)],
      },
    ),
    call(onlyOptions, 'read()', []),
    ...positional(onlyOptions, [absent], [COMMON.filter((v) => v.name !== 'undefined')]),
    ...optionKeys(
      onlyOptions,
      [absent],
      0,
      { buffer: buf16, offset: num(0), length: num(4), position: num(1) },
      {
        buffer: [...COMMON, ...readTargets()],
        offset: COMMON,
        length: COMMON,
        position: COMMON,
      },
    ),
  ];
}

function handleReadv(): Variant[] {
  const on: On = { target: 'FileHandle.readv', signature: 'buffers, position', handle: OPEN_RW };
  const pair = value('[Buffer(3), Buffer(5)]', () => [bytes(3, 0xee), bytes(5, 0xee)]);
  const arrays: Value[] = [
    value('[Buffer(0)]', () => [Buffer.alloc(0)]),
    value('[Buffer(1), Buffer(3)]', () => [bytes(1, 0xee), bytes(3, 0xee)]),
    value('[Uint16Array(2), DataView(3)]', () => [new Uint16Array(2).fill(0xeeee), new DataView(bytes(3, 0xee).buffer, 0, 3)]),
    value("[Buffer(3), 'x']", () => [bytes(3, 0xee), 'x']),
    value('[Buffer(3), null]', () => [bytes(3, 0xee), null]),
    value('[Buffer(3), {}]', () => [bytes(3, 0xee), {}]),
    value('[ArrayBuffer(4)]', () => [new ArrayBuffer(4)]),
    value('Buffer(8) (not an array)', () => bytes(8, 0xee)),
  ];
  return [
    ...positional(
      on,
      [pair, num(1)],
      [
        [...COMMON, ...arrays],
        [...COMMON, num(63), num(64)],
      ],
    ),
    call(on, 'readv(buffers)', [pair]),
    ...onOtherHandles(on, 'base call', [pair, num(1)]),
  ];
}

function handleWrite(): Variant[] {
  const args: On = { target: 'FileHandle.write', signature: 'buffer, offset, length, position', handle: OPEN_RW };
  const withOptions: On = { target: 'FileHandle.write', signature: 'buffer, options', handle: OPEN_RW };
  const text: On = { target: 'FileHandle.write', signature: 'string, position, encoding', handle: OPEN_RW };
  const base = [src8, num(0), num(4), num(1)];
  return [
    ...positional(args, base, [
      [...COMMON, ...writeSources()],
      [...COMMON, num(7), num(8), num(9)],
      [...COMMON, num(8), num(9), num(2 ** 31 - 1)],
      [...COMMON, num(64), num(100)],
    ]),
    call(args, 'write(buffer)', [src8]),
    call(args, 'write(buffer, 2)', [src8, num(2)]),
    call(args, 'write(buffer, 2, 3)', [src8, num(2), num(3)]),
    ...onOtherHandles(args, 'base call', base),
    ...positional(withOptions, [src8, absent], [undefined, COMMON.filter((v) => v.name !== 'undefined')]),
    ...optionKeys(
      withOptions,
      [src8, absent],
      1,
      { offset: num(0), length: num(4), position: num(1) },
      {
        offset: [...SOME, num(8), num(9)],
        length: [...SOME, num(8), num(9)],
        position: [...COMMON, num(64)],
      },
    ),
    ...positional(
      text,
      [str('héllo'), num(1), str('utf8')],
      [
        [str(''), str('ff00'), value("new String('boxed')", () => new String('boxed'))],
        [...COMMON, num(64)],
        [...COMMON, ...ENCODINGS],
      ],
    ),
    call(text, "write('héllo')", [str('héllo')]),
    call(text, "write('héllo', null, 'latin1')", [str('héllo'), constant('null', null), str('latin1')]),
    call(text, "write('ff00', 1, 'hex')", [str('ff00'), num(1), str('hex')]),
    call(text, "write('fff', 1, 'hex') (odd length)", [str('fff'), num(1), str('hex')]),
    ...onOtherHandles(text, 'base call', [str('héllo'), num(1), str('utf8')]),
  ];
}

function handleWritev(): Variant[] {
  const on: On = { target: 'FileHandle.writev', signature: 'buffers, position', handle: OPEN_RW };
  const pair = value("[Buffer('abc'), Buffer('defgh')]", () => [bytes(3, 'text'), Buffer.from('defgh')]);
  const arrays: Value[] = [
    value('[]', () => []),
    value('[Buffer(0)]', () => [Buffer.alloc(0)]),
    value('[Uint16Array(2), DataView(3)]', () => [
      new Uint16Array(bytes(4, 'text').buffer, 0, 2),
      new DataView(bytes(3, 'text').buffer, 0, 3),
    ]),
    value("[Buffer('abc'), 'x']", () => [bytes(3, 'text'), 'x']),
    value("[Buffer('abc'), null]", () => [bytes(3, 'text'), null]),
    value('[ArrayBuffer(4)]', () => [bytes(4, 'text').buffer]),
    value("Buffer('abcdefgh') (not an array)", () => bytes(8, 'text')),
  ];
  return [
    ...positional(
      on,
      [pair, num(1)],
      [
        [...COMMON.filter((v) => v.name !== '[]'), ...arrays],
        [...COMMON, num(64), num(100)],
      ],
    ),
    call(on, 'writev(buffers)', [pair]),
    ...onOtherHandles(on, 'base call', [pair, num(1)]),
  ];
}

/** readFile's options: the argument after `before` (and before `after`: a callback), then each key. */
function readFileOptionSweeps(on: On, before: readonly Value[], after: readonly Value[] = []): Variant[] {
  const at = before.length;
  return [
    ...positional(on, [...before, absent, ...after], [...before.map(() => undefined), [...COMMON, ...ENCODINGS]]),
    ...optionKeys(
      on,
      [...before, absent, ...after],
      at,
      {},
      {
        encoding: [...ENCODINGS, ...FEW, absent],
        flag: [...FLAGS, ...FEW],
        signal: SIGNALS,
      },
    ),
  ];
}

/** writeFile's data and options after `before` (and before `after`: a callback), then each option key. */
function writeFileOptionSweeps(on: On, before: readonly Value[], full: boolean, after: readonly Value[] = []): Variant[] {
  const at = before.length;
  const data = str('héllo');
  return [
    ...positional(
      on,
      [...before, data, absent, ...after],
      [
        ...before.map(() => undefined),
        full ? [...COMMON, ...writeData()] : [...FEW, ...writeData()],
        full ? [...COMMON, ...ENCODINGS] : [...FEW, ...ENCODINGS],
      ],
    ),
    ...optionKeys(
      on,
      [...before, data, absent, ...after],
      at + 1,
      {},
      {
        encoding: full ? [...ENCODINGS, ...FEW, absent] : ENCODINGS,
        flag: full ? [...FLAGS, ...FEW] : FLAGS,
        flush: full ? SOME : FEW,
        signal: SIGNALS,
      },
    ),
    ...optionKeys(
      on,
      [...before, data, absent, ...after],
      at + 1,
      { encoding: str('hex') },
      { flag: full ? [str('a'), str('r+'), str('bogus')] : [] },
    ),
  ];
}

function handleWholeFile(): Variant[] {
  const readFile: On = { target: 'FileHandle.readFile', signature: 'options', handle: OPEN_RW };
  const writeFile: On = { target: 'FileHandle.writeFile', signature: 'data, options', handle: OPEN_RW };
  const appendFile: On = { target: 'FileHandle.appendFile', signature: 'data, options', handle: OPEN_RW };
  return [
    ...readFileOptionSweeps(readFile, []),
    ...onOtherHandles(readFile, 'readFile()', []),
    ...writeFileOptionSweeps(writeFile, [], true),
    ...optionKeys(writeFile, [str('héllo'), absent], 1, {}, { mode: MODES }),
    ...onOtherHandles(writeFile, "writeFile('héllo')", [str('héllo')]),
    ...writeFileOptionSweeps(appendFile, [], false),
    ...onOtherHandles(appendFile, "appendFile('héllo')", [str('héllo')]),
  ];
}

function handleMetadata(): Variant[] {
  const truncate: On = { target: 'FileHandle.truncate', signature: 'len', handle: OPEN_RW };
  const stat: On = { target: 'FileHandle.stat', signature: 'options', handle: OPEN_RW };
  const chmod: On = { target: 'FileHandle.chmod', signature: 'mode', handle: OPEN_RW };
  const utimes: On = { target: 'FileHandle.utimes', signature: 'atime, mtime', handle: OPEN_RW };
  const sync: On = { target: 'FileHandle.sync', signature: '', handle: OPEN_RW };
  const datasync: On = { target: 'FileHandle.datasync', signature: '', handle: OPEN_RW };
  const close: On = { target: 'FileHandle.close', signature: '', handle: OPEN_RW };
  const closeTwice: On = { target: 'FileHandle.close twice', signature: '', handle: OPEN_RW };
  const bigint = (v: Value) => value(`{ bigint: ${v.name} }`, (c) => ({ bigint: v.make(c) }));
  return [
    ...positional(truncate, [num(10)], [[...COMMON, num(64), num(100)]]),
    call(truncate, 'truncate()', []),
    ...onOtherHandles(truncate, 'truncate(10)', [num(10)]),
    ...positional(stat, [absent], [[...COMMON, ...[constant('true', true), constant('false', false), ...FEW].map(bigint)]]),
    ...onOtherHandles(stat, 'stat()', [], [CLOSED]),
    ...positional(chmod, [num(0o600)], [[...COMMON, ...MODES]]),
    call(chmod, 'chmod()', []),
    ...onOtherHandles(chmod, 'chmod(0o600)', [num(0o600)], [CLOSED, { flags: 'r', closed: false }]),
    ...positional(
      utimes,
      [num(1000), num(2000)],
      [
        [...COMMON, ...DATES],
        [...SOME, ...DATES],
      ],
    ),
    ...onOtherHandles(utimes, 'utimes(1000, 2000)', [num(1000), num(2000)], [CLOSED]),
    call(sync, 'sync()', []),
    ...onOtherHandles(sync, 'sync()', [], [CLOSED, { flags: 'r', closed: false }]),
    call(datasync, 'datasync()', []),
    ...onOtherHandles(datasync, 'datasync()', [], [CLOSED, { flags: 'r', closed: false }]),
    call(close, 'close()', []),
    ...onOtherHandles(close, 'close()', [], [CLOSED]),
    call(closeTwice, 'close(); close()', []),
  ];
}

// ---------------------------------------------------------------------------------------------
// fs/promises functions
// ---------------------------------------------------------------------------------------------

/** A FileHandle (from the implementation's own open) as the path argument. */
function handlePaths(): Value[] {
  return [
    value('an open FileHandle (r+)', (c) => c.openHandle('r+')),
    value('a FileHandle opened r', (c) => c.openHandle('r')),
    value('a FileHandle opened a', (c) => c.openHandle('a')),
  ];
}

const closedHandle = value('a closed FileHandle', async (c) => {
  const handle = (await c.openHandle('r+')) as { close(): Promise<void> };
  await handle.close();
  return handle;
});

function promisesFunctions(): Variant[] {
  const open: On = { target: 'open', signature: 'path, flags, mode' };
  const readFile: On = { target: 'readFile', signature: 'path, options' };
  const writeFile: On = { target: 'writeFile', signature: 'path, data, options' };
  const appendFile: On = { target: 'appendFile', signature: 'path, data, options' };
  const pathSweep = [
    ...PATHS,
    ...COMMON.filter((v) => v.name !== '1' && v.name !== '0' && v.name !== '-0'),
    ...handlePaths(),
    closedHandle,
  ];
  return [
    ...positional(
      open,
      [file, str('r'), absent],
      [
        [...PATHS, ...COMMON],
        [...FLAGS, ...COMMON],
      ],
    ),
    ...positional(open, [missing, str('wx'), num(0o644)], [undefined, undefined, [...MODES, ...COMMON]]),
    call(open, 'open(the file)', [file]),
    ...positional(readFile, [file, absent], [pathSweep]),
    ...readFileOptionSweeps(readFile, [file]),
    ...positional(writeFile, [file, str('héllo'), absent], [pathSweep]),
    ...writeFileOptionSweeps(writeFile, [file], true),
    ...optionKeys(writeFile, [missing, str('héllo'), absent], 2, {}, { mode: [...MODES, ...FEW] }),
    ...positional(appendFile, [file, str('héllo'), absent], [[...PATHS, ...FEW, ...handlePaths(), closedHandle]]),
    ...writeFileOptionSweeps(appendFile, [file], false),
    ...optionKeys(appendFile, [missing, str('héllo'), absent], 2, {}, { mode: MODES }),
  ];
}

// ---------------------------------------------------------------------------------------------
// node:fs's callback functions
// ---------------------------------------------------------------------------------------------

/** Descriptors as the path argument (the callback functions take them; fs/promises takes FileHandles). */
function descriptorPaths(): Value[] {
  return [
    value('an open descriptor (r+)', (c) => c.openFd('r+')),
    value('a descriptor opened r', (c) => c.openFd('r')),
    value('a descriptor opened a', (c) => c.openFd('a')),
    value('a closed descriptor', (c) => c.closedFd()),
    constant('a bogus descriptor (99999)', 99999),
  ];
}

const callback = value('callback', (c) => c.callback());
const secondCallback = value('a second callback', (c) => c.callback());
const throwingCallback = value('a callback that throws', (c) => c.callback(true));
/** What is no callback: everything in COMMON but the function (the recording callback is the function), and 0n. */
const NOT_CALLBACKS: readonly Value[] = [...COMMON.filter((v) => v.name !== 'function fn() {}'), constant('0n', 0n)];
/** The same, shorter: what may follow a callback given in the options position. */
const AFTER_CALLBACK: readonly Value[] = [
  ...SOME.filter((v) => v.name !== 'function fn() {}'),
  constant('-0', -0),
  constant('0n', 0n),
];

/**
 * The callback argument itself: not a function (options left undefined), left out, in the options
 * position (alone, followed by a value or by a second callback), followed by an extra argument, and
 * throwing (an uncaught exception on both sides) after a success and after an error.
 * `before` is the path (and data), `failing` the same with a path the call fails on.
 */
function callbackSweeps(on: On, before: readonly Value[], failing: readonly Value[], notCallbacks: readonly Value[]): Variant[] {
  const fn = callee(on).slice('fs.'.length);
  const names = on.signature.split(', ').slice(0, before.length).join(', ');
  const inOptions: On = { ...on, signature: `${names}, callback, extra` };
  const utf8 = str('utf8');
  return [
    ...positional(on, [...before, absent, callback], [...before.map(() => undefined), undefined, notCallbacks]),
    call(on, `${fn}(${names})`, before),
    call(on, `${fn}(${names}, 'utf8')`, [...before, utf8]),
    call(on, `${fn}(${names}, { encoding: 'utf8' })`, [...before, value("{ encoding: 'utf8' }", () => ({ encoding: 'utf8' }))]),
    call(on, `${fn}(${names}, callback)`, [...before, callback]),
    call(on, `${fn}(${names}, callback, callback2)`, [...before, callback, secondCallback]),
    call(on, `${fn}(${names}, 'utf8', callback, 'extra')`, [...before, utf8, callback, str('extra')]),
    ...positional(inOptions, [...before, callback, absent], [...before.map(() => undefined), undefined, AFTER_CALLBACK]),
    call(on, `${fn}(${names}, callback) with a callback that throws`, [...before, throwingCallback]),
    call(on, `${fn}(${names}, callback) failing, with a callback that throws`, [...failing, throwingCallback]),
  ];
}

function callbackFunctions(): Variant[] {
  const readFile: On = { target: 'fs.readFile (callback)', name: 'fs.readFile', signature: 'path, options, callback' };
  const writeFile: On = { target: 'fs.writeFile (callback)', name: 'fs.writeFile', signature: 'path, data, options, callback' };
  const appendFile: On = {
    target: 'fs.appendFile (callback)',
    name: 'fs.appendFile',
    signature: 'path, data, options, callback',
  };
  // Descriptors 0 and 1 belong to the runner's child process: values that name them are left out.
  const pathSweep = [
    ...PATHS,
    ...COMMON.filter((v) => !['0', '-0', '1'].includes(v.name)),
    ...descriptorPaths(),
    ...handlePaths(),
    closedHandle,
  ];
  const fdRead = value('an open descriptor (r+)', (c) => c.openFd('r+'));
  const data = str('héllo');
  const directory = value('a directory', (c) => c.directory);
  const someSignals = SIGNALS.slice(0, 3);
  return [
    ...positional(readFile, [file, absent, callback], [pathSweep]),
    ...readFileOptionSweeps(readFile, [file], [callback]),
    ...positional(readFile, [fdRead, absent, callback], [undefined, [str('hex'), str('bogus')]]),
    ...optionKeys(
      readFile,
      [fdRead, absent, callback],
      1,
      {},
      {
        encoding: [str('latin1'), str('bogus')],
        flag: [str('w'), str('a'), str('bogus')],
        signal: someSignals,
      },
    ),
    ...callbackSweeps(readFile, [file], [missing], NOT_CALLBACKS),

    ...positional(writeFile, [file, data, absent, callback], [pathSweep]),
    ...writeFileOptionSweeps(writeFile, [file], true, [callback]),
    ...optionKeys(writeFile, [missing, data, absent, callback], 2, {}, { mode: [...MODES, ...FEW] }),
    ...positional(
      writeFile,
      [fdRead, data, absent, callback],
      [undefined, [str(''), ...writeSources()], [str('hex'), str('bogus')]],
    ),
    ...optionKeys(
      writeFile,
      [fdRead, data, absent, callback],
      2,
      {},
      {
        encoding: [str('latin1'), str('bogus')],
        flag: [str('r'), str('a'), str('bogus')],
        mode: [num(0o600), str('x')],
        flush: [constant('true', true), constant('1', 1)],
        signal: someSignals,
      },
    ),
    ...callbackSweeps(writeFile, [file, data], [directory, data], NOT_CALLBACKS),

    ...positional(
      appendFile,
      [file, data, absent, callback],
      [[...PATHS, ...FEW, ...descriptorPaths(), ...handlePaths(), closedHandle]],
    ),
    ...writeFileOptionSweeps(appendFile, [file], false, [callback]),
    ...optionKeys(appendFile, [missing, data, absent, callback], 2, {}, { mode: MODES }),
    ...optionKeys(
      appendFile,
      [fdRead, data, absent, callback],
      2,
      {},
      {
        flag: [str('r'), str('w'), str('bogus')],
        signal: someSignals,
      },
    ),
    ...callbackSweeps(appendFile, [file, data], [directory, data], FEW),
  ];
}

// ---------------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------------

function readStream(): Variant[] {
  const on: On = { target: 'createReadStream', signature: 'path, options' };
  const base = [file, absent];
  return [
    ...positional(on, base, [
      [...PATHS, ...COMMON.filter((v) => v.name !== 'undefined' && v.name !== 'null')],
      [...COMMON, ...ENCODINGS],
    ]),
    ...optionKeys(
      on,
      base,
      1,
      {},
      {
        start: [...COMMON, num(2), num(63), num(64), num(100)],
        end: [...COMMON, num(5), num(63), num(64), num(100)],
        highWaterMark: [...COMMON, num(3), num(16), num(65536)],
        flags: [...FLAGS, ...FEW],
        mode: [...MODES, ...FEW],
        encoding: [...ENCODINGS, ...FEW],
        fd: [...fdValues('r'), value('an open FileHandle', (c) => c.openHandle('r')), closedHandle],
        fs: CUSTOM_FS,
        autoClose: SOME,
        emitClose: SOME,
        signal: SIGNALS,
      },
    ),
    ...optionKeys(on, base, 1, { start: num(10) }, { end: [num(5), num(9), num(10), num(20), ...FEW] }),
    ...optionKeys(
      on,
      [constant('null', null), absent],
      1,
      {},
      {
        fd: [value('an open descriptor (r)', (c) => c.openFd('r')), value('an open FileHandle', (c) => c.openHandle('r'))],
      },
    ),
    ...optionKeys(
      on,
      [constant('null', null), absent],
      1,
      { fd: value('an open descriptor (r)', (c) => c.openFd('r')) },
      {
        start: [num(5), num(100)],
        autoClose: [constant('false', false)],
        fs: [CUSTOM_FS[0]!],
      },
    ),
    ...optionKeys(
      on,
      base,
      1,
      { fd: value('an open FileHandle', (c) => c.openHandle('r')) },
      {
        start: [num(5)],
        end: [num(9)],
        autoClose: [constant('false', false)],
        fs: [CUSTOM_FS[0]!],
      },
    ),
    ...optionKeys(
      on,
      base,
      1,
      { autoClose: constant('false', false) },
      { emitClose: [constant('false', false), constant('true', true)] },
    ),
  ];
}

function writeStream(): Variant[] {
  const on: On = { target: 'createWriteStream', signature: 'path, options' };
  const base = [file, absent];
  return [
    ...positional(on, base, [
      [...PATHS, ...COMMON.filter((v) => v.name !== 'undefined' && v.name !== 'null')],
      [...COMMON, ...ENCODINGS],
    ]),
    ...optionKeys(
      on,
      base,
      1,
      {},
      {
        start: [...COMMON, num(2), num(64), num(100)],
        flags: [...FLAGS, ...FEW],
        mode: [...MODES, ...FEW],
        encoding: [...ENCODINGS, ...FEW],
        fd: [...fdValues('r+'), value('an open FileHandle', (c) => c.openHandle('r+')), closedHandle],
        fs: CUSTOM_FS,
        autoClose: SOME,
        emitClose: SOME,
        signal: SIGNALS,
        flush: SOME,
        highWaterMark: [...SOME, num(3), num(65536)],
      },
    ),
    ...optionKeys(
      on,
      base,
      1,
      { flags: str('r+') },
      { start: [num(2), num(64), num(100), num(2 ** 32), num(2 ** 53 - 1), num(2 ** 53)] },
    ),
    ...optionKeys(on, base, 1, { flags: str('a') }, { start: [num(2), num(100)] }),
    ...optionKeys(on, [missing, absent], 1, {}, { mode: [num(0o600), str('600')], flags: [str('wx'), str('r+')] }),
    ...optionKeys(
      on,
      [constant('null', null), absent],
      1,
      {},
      {
        fd: [value('an open descriptor (r+)', (c) => c.openFd('r+')), value('an open FileHandle', (c) => c.openHandle('r+'))],
      },
    ),
    ...optionKeys(
      on,
      [constant('null', null), absent],
      1,
      { fd: value('an open descriptor (r+)', (c) => c.openFd('r+')) },
      {
        start: [num(5), num(100)],
        autoClose: [constant('false', false)],
        fs: [CUSTOM_FS[0]!],
        flush: [constant('true', true)],
      },
    ),
    ...optionKeys(
      on,
      base,
      1,
      { fd: value('an open FileHandle', (c) => c.openHandle('r+')) },
      {
        start: [num(5)],
        autoClose: [constant('false', false)],
        fs: [CUSTOM_FS[0]!],
        flush: [constant('true', true)],
      },
    ),
    ...optionKeys(
      on,
      base,
      1,
      { autoClose: constant('false', false) },
      { emitClose: [constant('false', false), constant('true', true)] },
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// All of them
// ---------------------------------------------------------------------------------------------

/** Every variant, in a fixed order (both sides of a run, in separate processes, index the same list). */
export function argumentVariants(): Variant[] {
  const all = [
    ...promisesFunctions(),
    ...callbackFunctions(),
    ...handleRead(),
    ...handleReadv(),
    ...handleWrite(),
    ...handleWritev(),
    ...handleWholeFile(),
    ...handleMetadata(),
    ...readStream(),
    ...writeStream(),
  ];
  const seen = new Set<string>();
  return all.filter((v) => !seen.has(v.label) && seen.add(v.label));
}
