// Bundles scripts/zoo-timings.ts with esbuild (as scripts/build.mjs does for the CLI), finds the zoo
// (generating it if needed), and runs the timings with the given arguments.
//
//   node scripts/zoo-timings.mjs [--runs N] [--only REGEX] [--json FILE]
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ensureZoo } from './zoo-fixtures.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(repo, 'dist', 'zoo-timings.js');
await esbuild.build({
  entryPoints: [join(repo, 'scripts', 'zoo-timings.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['onnxruntime-node'],
  logLevel: 'warning',
});
const zoo = ensureZoo();
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, CNN_FIXATIONS_ZOO: zoo },
});
process.exit(r.status ?? 1);
