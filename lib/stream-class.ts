/**
 * How aiofs's ReadStream and WriteStream become subclasses of node's, and how their data paths report a
 * failed read as node's streams do. Owns nothing.
 */
import type { Readable } from 'node:stream';

/**
 * How aiofs's ReadStream and WriteStream become subclasses of node's: the prototype chain node's own
 * classes use (ObjectSetPrototypeOf on the class and its prototype), and an instanceof check under
 * which every stream of node's class counts as one of aiofs's. aiofs/register puts aiofs's class in
 * node:fs and aiofs's data path on node's own class, so after it every stream of node's class is one
 * of these: `instanceof fs.ReadStream` stays true for streams of classes captured before
 * (graceful-fs's, fs-extra's). Subclasses of aiofs's class keep the ordinary check.
 */
export function inheritNodeStream(Class: { prototype: object }, NodeClass: { prototype: object }): void {
  Object.setPrototypeOf(Class.prototype, NodeClass.prototype);
  Object.setPrototypeOf(Class, NodeClass);
  Object.defineProperty(Class, Symbol.hasInstance, {
    value: function (this: unknown, value: unknown): boolean {
      return this === Class
        ? value instanceof (NodeClass as () => void)
        : Function.prototype[Symbol.hasInstance].call(this, value);
    },
  });
}

/** As node's errorOrDestroy for a read that failed: destroy the stream when autoDestroy, else only emit 'error'. */
export function errorOrDestroy(stream: Readable, error: Error): void {
  if ((stream as unknown as { _readableState: { autoDestroy: boolean } })._readableState.autoDestroy) stream.destroy(error);
  else stream.emit('error', error);
}
