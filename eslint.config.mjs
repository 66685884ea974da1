// Lint: typescript-eslint with type information (no floating promises), the rule that keeps the core
// pure (src/unravel and src/shared import no vscode, onnxruntime-node or fs), the one that keeps the
// extension host free of the pipeline (src/panels and src/extension.ts: types only), and the one that keeps
// the panel's controller free of VS Code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const pureCore = {
  paths: ['vscode', 'onnxruntime-node', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'jimp'].map((name) => ({
    name,
    message: 'src/unravel and src/shared are the pure core: no vscode, onnxruntime-node, jimp or file system here.',
  })),
};

// src/unravel is a walk over the ONNX graph and nothing else: it imports only from itself and from the parsed
// graph and its tensors (src/onnx/graph.ts, tensor.ts), and the settings' types. No protobufjs, no Node built-ins,
// no onnxruntime: what is not an import path inside src/unravel is refused, whatever its name (a list of names to
// refuse would miss the next one). One pattern per folder depth, since the paths are relative.
const unravelOnly = (up) => {
  const root = up ? '\\.\\./'.repeat(up + 1) : '\\.\\./';
  const inside = up ? '\\./|\\.\\./(?!\\.\\./)' : '\\./';
  return {
    patterns: [
      {
        regex: `^(?!${inside}|${root}onnx/(graph|tensor)$|${root}shared/settings$)`,
        message: 'src/unravel imports only from itself and the ONNX graph and tensor types (src/onnx/graph, src/onnx/tensor).',
      },
      { regex: `^${root}shared/settings$`, allowTypeImports: true, message: 'src/unravel takes only the types of the settings.' },
    ],
  };
};

// The extension host stays light and survives the pipeline: explain, onnxruntime, jimp, the decoders and
// renderers run in the engine process (src/engine/main.ts). Panels and activate() may import their types only.
const hostSide = {
  paths: ['onnxruntime-node', 'jimp'].map((name) => ({
    name,
    message: 'The extension host does not load the pipeline: this runs in the engine process (src/engine).',
  })),
  patterns: [
    {
      group: [
        '**/explain',
        '**/runtime/*',
        '**/preprocess/image',
        '**/heatmap/*',
        '**/onnx/*',
        '**/unravel/*',
        '**/unravel/rules/*',
        '**/engine/engine',
        '**/engine/main',
        '**/engine/activations',
        '**/engine/payload',
        '**/engine/failure',
        '**/sweep/run',
        '**/sweep/pool',
        '**/sweep/item',
        '**/sweep/worker',
        '**/sweep/thumbnails',
      ],
      allowTypeImports: true,
      message: 'The extension host does not load the pipeline: ask the engine (src/engine/client.ts); import types only.',
    },
  ],
};

// The panel's controller and the modules it uses also run outside VS Code (the browser tests' host):
// VS Code reaches them only through the adapter, src/panels/panel.ts.
const vscodeFree = {
  ...hostSide,
  paths: [
    ...hostSide.paths,
    { name: 'vscode', message: 'The panel controller runs outside VS Code too: take what VS Code gives through its PanelHost (src/panels/panel.ts).' },
  ],
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
  { files: ['src/unravel/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', unravelOnly(0)] } },
  { files: ['src/unravel/*/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', unravelOnly(1)] } },
  { files: ['src/panels/**/*.ts', 'src/extension.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', hostSide] } },
  {
    files: ['src/panels/controller.ts', 'src/panels/messages.ts', 'src/panels/errors.ts', 'src/panels/remote.ts', 'src/panels/exporter.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', vscodeFree] },
  },
  {
    files: ['scripts/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
      },
    },
  },
);
