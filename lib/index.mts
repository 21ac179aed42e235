// ESM entry: the CommonJS build re-exported, so `import` and `require` share one module instance
// (and so one AIO context per thread).
export * from './index.js';
