// Writes package.json's contributes.configuration.properties from the one declaration of the options
// (src/shared/settings.ts). `npm test` fails while the two disagree (test/shared/settings.test.ts).
//   node scripts/sync-settings.mjs
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { outputFiles } = await esbuild.build({
  entryPoints: [path.join(root, 'src/shared/settings.ts')],
  bundle: true,
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const { configurationProperties } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`);
const file = path.join(root, 'package.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));
pkg.contributes.configuration.properties = configurationProperties();
writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
console.log(`package.json: ${Object.keys(pkg.contributes.configuration.properties).length} settings written from src/shared/settings.ts`);
