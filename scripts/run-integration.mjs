// Integration tests in real VS Code: compiles test/vscode (its own tsconfig → out/test/vscode), then runs
// the mocha suite inside code-server's Node extension host with this folder as the extension under
// development, as @vscode/test-electron would with --extensionDevelopmentPath/--extensionTestsPath.
// Needs `npm run build` (dist/extension.js, dist/webview) and `npm run setup:vscode`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, checkTools, runExtensionTests } from './vscode-server.mjs';

checkTools();
const t0 = Date.now();
const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'test/vscode/tsconfig.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  console.error('compiling test/vscode failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`compiled test/vscode in ${Date.now() - t0} ms`);
const code = await runExtensionTests({
  extensionDevelopmentPath: ROOT,
  extensionTestsPath: path.join(ROOT, 'out/test/vscode/index.js'),
  // the extension host passes its environment to the engine it forks: let the engine honour the test-only crash
  env: { CNN_FIXATIONS_ENGINE_TEST: '1' },
});
process.exit(code);
