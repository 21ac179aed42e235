// ESM entry for `node --import aiofs/register`: the CommonJS build does the swap, so the streams it
// installs are the same instances `import ... from 'aiofs'` gives.
import './register.js';
