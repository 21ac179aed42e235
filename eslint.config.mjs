// Lint rules for lib/, test/ and bench/ (npm run lint). Formatting is prettier's (.prettierrc.json);
// these rules catch mistakes: the recommended sets of ESLint and typescript-eslint.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'prebuilds/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `import fs = require('node:fs')` is how lib/ takes node's module objects themselves
      // (lib/node-originals.ts says why); plain require() calls stay forbidden.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      // `interface AioReadStream extends fs.ReadStream {}` gives a class node's instance type.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // Unused arguments and locals are errors, except names starting with _ (callbacks of fixed shape).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // CommonJS fixtures: require() is their import, as in the apps and libraries they stand for.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
