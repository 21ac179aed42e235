/**
 * The errors aiofs raises itself, shaped exactly like node's so that aiofs is a drop-in: same class,
 * `name`, `code`, `message`, own enumerable keys and stack header. (Errors about bad arguments are
 * mostly node's own: plain-arguments.ts hands such calls to node.)
 *
 * Ported from Node's lib/internal/errors.js.
 */
import { format, getSystemErrorMap, inspect } from 'node:util';

/** Primitive type names Node lists as "of type x" in ERR_INVALID_ARG_TYPE. */
const kTypes: readonly string[] = ['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol'];
const classRegExp = /^[A-Z][a-zA-Z0-9]*$/;

/**
 * Whether stacks are formatted by Node's own formatter, which puts `[CODE]`
 * in the header of Node's errors, rather than by a user override
 * (source-map-support, test runners), which does not.
 */
function nodeFormatsStacks(): boolean {
  const prepare: unknown = Error.prepareStackTrace;
  return prepare === undefined || (typeof prepare === 'function' && prepare.name === 'ErrorPrepareStackTrace');
}

/**
 * Gives `err` Node's internal-error look: the stack header reads
 * `TypeError [ERR_X]: message` while `err.name` stays the base class name.
 * V8 formats `stack` on first access, so we format it once with a temporary
 * own `name` and then drop that name again.
 */
function addCodeToStack(err: Error & { readonly code: string }): void {
  if (!nodeFormatsStacks()) return;
  err.name = `${err.name} [${err.code}]`;
  void err.stack;
  Reflect.deleteProperty(err, 'name');
}

/**
 * Shared shape of Node's `ERR_*` errors: own enumerable `code` and
 * `toString()` of `Name [CODE]: message`.
 */
function defineNodeError(Base: ErrorConstructor) {
  class NodeError extends Base {
    readonly code: string;

    constructor(code: string, message: string) {
      super(message);
      this.code = code;
      addCodeToStack(this);
    }

    override toString(): string {
      return `${this.name} [${this.code}]: ${this.message}`;
    }
  }
  return NodeError;
}

/** Like Node's, an error class reports its built-in base (TypeError, …) as `constructor`. */
function reportBaseAsConstructor(cls: { readonly prototype: Error }, Base: ErrorConstructor): void {
  Object.defineProperty(cls.prototype, 'constructor', { configurable: true, get: () => Base });
}

const NodeError = defineNodeError(Error);
const NodeTypeError = defineNodeError(TypeError);
const NodeRangeError = defineNodeError(RangeError);

/** `a`, `a or b`, `a, b, or c` (Node's formatList). */
function formatList(items: readonly string[], type: string): string {
  if (items.length < 3) return items.join(` ${type} `);
  return `${items.slice(0, -1).join(', ')}, ${type} ${items[items.length - 1]}`;
}

/**
 * Node's determineSpecificType: how ERR_INVALID_ARG_TYPE describes the value
 * it received, e.g. `type number (NaN)`, `an instance of Map`, `null`.
 */
export function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `type bigint (${value}n)`;
    case 'number':
      return `type number (${Object.is(value, -0) ? '-0' : String(value)})`;
    case 'boolean':
      return `type boolean (${value})`;
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'function':
      return `function ${value.name}`;
    case 'object': {
      const ctor: unknown = (value as { constructor?: unknown }).constructor;
      if (ctor && 'name' in (ctor as object)) {
        return `an instance of ${(ctor as { name: unknown }).name}`;
      }
      return inspect(value, { depth: -1 });
    }
    default: {
      // Only strings are left.
      const text = String(value);
      const shown = text.length > 28 ? `${text.slice(0, 25)}...` : text;
      return shown.includes("'") ? `type string (${JSON.stringify(shown)})` : `type string ('${shown}')`;
    }
  }
}

/** Node's addNumericalSeparator: `1234567` → `1_234_567` (integers only). */
export function addNumericalSeparator(val: string): string {
  let res = '';
  let i = val.length;
  const start = val[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) {
    res = `_${val.slice(i - 3, i)}${res}`;
  }
  return `${val.slice(0, i)}${res}`;
}

function invalidArgTypeMessage(name: string, expected: string | readonly string[], actual: unknown): string {
  const expectedList = typeof expected === 'string' ? [expected] : expected;
  let msg = 'The ';
  if (name.endsWith(' argument')) {
    msg += `${name} `;
  } else {
    msg += `"${name}" ${name.includes('.') ? 'property' : 'argument'} `;
  }
  msg += 'must be ';

  const types: string[] = [];
  const instances: string[] = [];
  const other: string[] = [];
  for (const value of expectedList) {
    if (kTypes.includes(value)) types.push(value.toLowerCase());
    else if (classRegExp.test(value)) instances.push(value);
    else other.push(value);
  }

  // With instances present, `object` is listed as the instance `Object`.
  if (instances.length > 0) {
    const pos = types.indexOf('object');
    if (pos !== -1) {
      types.splice(pos, 1);
      instances.push('Object');
    }
  }

  if (types.length > 0) {
    msg += `${types.length > 1 ? 'one of type' : 'of type'} ${formatList(types, 'or')}`;
    if (instances.length > 0 || other.length > 0) msg += ' or ';
  }
  if (instances.length > 0) {
    msg += `an instance of ${formatList(instances, 'or')}`;
    if (other.length > 0) msg += ' or ';
  }
  if (other.length > 0) {
    if (other.length > 1) {
      msg += `one of ${formatList(other, 'or')}`;
    } else {
      const only = other[0] ?? '';
      msg += only.toLowerCase() !== only ? `an ${only}` : only;
    }
  }
  return `${msg}. Received ${describeReceived(actual)}`;
}

/** `TypeError [ERR_INVALID_ARG_TYPE]`: an argument has the wrong type. */
export class ERR_INVALID_ARG_TYPE extends NodeTypeError {
  /**
   * @param name Argument name; containing `.` makes it a "property".
   * @param expected Type names (`'number'`), class names (`'Buffer'`) or other descriptions.
   * @param actual The value received.
   */
  constructor(name: string, expected: string | readonly string[], actual: unknown) {
    super('ERR_INVALID_ARG_TYPE', invalidArgTypeMessage(name, expected, actual));
  }
}
reportBaseAsConstructor(ERR_INVALID_ARG_TYPE, TypeError);

/** `TypeError [ERR_INVALID_ARG_VALUE]`: an argument has the right type but a bad value. */
export class ERR_INVALID_ARG_VALUE extends NodeTypeError {
  /**
   * @param name Argument name; containing `.` makes it a "property".
   * @param value The value received (shown with `util.inspect`, cut at 128 chars).
   * @param reason Completes "The argument 'x' …".
   */
  constructor(name: string, value: unknown, reason = 'is invalid') {
    let inspected = inspect(value);
    if (inspected.length > 128) inspected = `${inspected.slice(0, 128)}...`;
    const type = name.includes('.') ? 'property' : 'argument';
    super('ERR_INVALID_ARG_VALUE', `The ${type} '${name}' ${reason}. Received ${inspected}`);
  }
}
reportBaseAsConstructor(ERR_INVALID_ARG_VALUE, TypeError);

/** `RangeError [ERR_OUT_OF_RANGE]`: a number (or bigint) outside the accepted range. */
export class ERR_OUT_OF_RANGE extends NodeRangeError {
  /**
   * @param name Argument name.
   * @param range Completes "It must be …", e.g. `'>= 0'` or `'an integer'`.
   * @param input The value received; large integers are shown as `1_000_000_000_000`.
   */
  constructor(name: string, range: string, input: unknown) {
    let received: string;
    if (typeof input === 'number' && Number.isInteger(input) && Math.abs(input) > 2 ** 32) {
      received = addNumericalSeparator(String(input));
    } else if (typeof input === 'bigint') {
      received = String(input);
      if (input > 2n ** 32n || input < -(2n ** 32n)) received = addNumericalSeparator(received);
      received += 'n';
    } else {
      received = inspect(input);
    }
    super('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${received}`);
  }
}
reportBaseAsConstructor(ERR_OUT_OF_RANGE, RangeError);

/** `RangeError [ERR_FS_FILE_TOO_LARGE]`: `readFile` of a file over 2 GiB. */
export class ERR_FS_FILE_TOO_LARGE extends NodeRangeError {
  /** @param size The file's size in bytes. */
  constructor(size: number) {
    super('ERR_FS_FILE_TOO_LARGE', format('File size (%s) is greater than 2 GiB', size));
  }
}
reportBaseAsConstructor(ERR_FS_FILE_TOO_LARGE, RangeError);

/** `Error [ERR_STREAM_DESTROYED]`: `Cannot call write after a stream was destroyed`. */
export class ERR_STREAM_DESTROYED extends NodeError {
  /** @param method The call that came too late (write, writev). */
  constructor(method: string) {
    super('ERR_STREAM_DESTROYED', format('Cannot call %s after a stream was destroyed', method));
  }
}
reportBaseAsConstructor(ERR_STREAM_DESTROYED, Error);

/** `Error [ERR_SYSTEM_ERROR]` as fs streams raise it: `A system error occurred: write failed`. */
export class ERR_SYSTEM_ERROR extends NodeError {
  constructor(what: string) {
    super('ERR_SYSTEM_ERROR', format('A system error occurred: %s', what));
  }
}
reportBaseAsConstructor(ERR_SYSTEM_ERROR, Error);

/** A libuv failure as Node reports it; `dest` is set for two-path calls. */
export interface SystemError extends NodeJS.ErrnoException {
  dest?: string;
}

/**
 * The error a failed libuv call rejects with (Node's UVException): message
 * `CODE: description, syscall 'path' -> 'dest'`, own properties `errno`,
 * `code`, `syscall`, then `path` and `dest` when given.
 * @param errno Negative errno, e.g. -2 for ENOENT.
 * @param syscall The operation, e.g. `'open'`, `'read'`.
 * @param path Path the operation was about (Buffers are shown as UTF-8).
 * @param dest Second path, e.g. the target of `rename`.
 */
export function systemError(errno: number, syscall: string, path?: string | Buffer, dest?: string | Buffer): SystemError {
  const [code, description] = getSystemErrorMap().get(errno) ?? ['UNKNOWN', 'unknown error'];
  let message = `${code}: ${description}, ${syscall}`;
  const pathString = path?.toString();
  const destString = dest?.toString();
  if (pathString !== undefined) message += ` '${pathString}'`;
  if (destString !== undefined) message += ` -> '${destString}'`;

  const err: SystemError = new Error(message);
  // The stack starts at whoever raised it (an aiofs method, then its caller), as node:fs's do.
  Error.captureStackTrace(err, systemError);
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (pathString !== undefined) err.path = pathString;
  if (destString !== undefined) err.dest = destString;
  return err;
}
