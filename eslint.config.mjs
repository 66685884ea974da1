// Lint: typescript-eslint with type information (no floating promises), and the rule that keeps the
// core pure: src/unravel and src/shared import no vscode, onnxruntime-node or fs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const pureCore = {
  paths: ['vscode', 'onnxruntime-node', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'jimp'].map((name) => ({
    name,
    message: 'src/unravel and src/shared are the pure core: no vscode, onnxruntime-node, jimp or file system here.',
  })),
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'tools/**', '.cache/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'webview-ui/src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['*.mjs'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/unravel/**/*.ts', 'src/shared/**/*.ts'], rules: { 'no-restricted-imports': ['error', pureCore] } },
  {
    files: ['scripts/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly' } },
  },
);
