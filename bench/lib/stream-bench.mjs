// What the stream trials share: loading the implementation, node:fs's or aiofs's stream factory.
import { importAiofs } from './aiofs-build.mjs';

/**
 * For a trial: `fs`'s or aiofs's (dist/index.mjs) `exportName`, and aiofs's module (null for fs).
 * Exits the trial when aiofs does not export it.
 */
export async function loadStreamFactory(impl, exportName) {
  if (impl === 'fs') return { create: (await import('node:fs'))[exportName], aiofs: null };
  const aiofs = await importAiofs('index.mjs');
  if (typeof aiofs[exportName] !== 'function') {
    console.error(`aiofs: dist/index.mjs does not export ${exportName}`);
    process.exit(1);
  }
  return { create: aiofs[exportName], aiofs };
}
