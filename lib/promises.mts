// ESM entry for `aiofs/promises`: the CommonJS build re-exported (one module instance per thread).
export * from './promises.js';
