/**
 * What aiofs's ReadStream and WriteStream share: a Node-style constructor over node's own, the prototype
 * chain that makes them subclasses of node's classes, the order of _destroy (the data path stops, then
 * node closes), and how a data path reports a failed read as node's streams do. Owns nothing: the
 * descriptor is node's, the data path's file is its own (stream-file.ts).
 */
import type { Readable } from 'node:stream';

/** A node stream class, called as a function on a new object (node's are Node-style constructors). */
type NodeStreamClass = { prototype: object; call(self: unknown, path: unknown, options: unknown): void };

/**
 * The constructor of one of aiofs's stream classes, named `name` as node's is (libraries and util.inspect
 * go by the name): runs node's constructor (as it was when aiofs loaded) on the new object, so
 * construction, option validation and every error are node's, then `init` with the same options.
 * Callable without `new`, and from old-style subclasses (`ReadStream.apply(this, arguments)` with
 * util.inherits), as node's is.
 */
export function nodeStyleStream<Constructor>(
  name: string,
  NodeClass: NodeStreamClass,
  init?: (stream: never, options: unknown) => void,
): Constructor {
  const Class = function (this: unknown, path: unknown, options: unknown) {
    if (!(this instanceof Class))
      return new (Class as unknown as new (path: unknown, options: unknown) => unknown)(path, options);
    // node's constructor validates first, so a call bad in both ways fails as node's would.
    NodeClass.call(this, path, options);
    init?.(this as never, options);
  };
  Object.defineProperty(Class, 'name', { value: name });
  inheritNodeStream(Class, NodeClass);
  return Class as unknown as Constructor;
}

/**
 * _destroy's order: the stream's data path (if it has one) stops, waiting for its requests, before
 * node's own _destroy (`destroy`) closes the descriptor: a descriptor must not be closed, and its number
 * reused, while the kernel still reads or writes through it.
 */
export function stopThenDestroy(dataPath: { stop(): Promise<void> } | null | undefined, destroy: () => void): void {
  if (dataPath === undefined || dataPath === null) destroy();
  else dataPath.stop().then(destroy);
}

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
