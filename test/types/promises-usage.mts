// aiofs/promises used as fs/promises is: the calls type-check and the results have fs's types.
import { open, readFile, writeFile } from 'aiofs/promises';
import { backend, type Backend } from 'aiofs';

const b: Backend = backend;
const fh = await open('x', 'r');
const { bytesRead, buffer } = await fh.read(Buffer.alloc(10), 0, 10, 0);
const n: number = bytesRead;
const buf: Buffer = buffer;
const text: string = await readFile('x', 'utf8');
const bytes: Buffer = await readFile('x');
const fromHandle: string = await fh.readFile({ encoding: 'utf8' });
await writeFile('y', 'data', { flush: true });
await fh.close();
export { b, n, buf, text, bytes, fromHandle };
