// Packages the extension as platform-specific VSIX files (`vsce package --target`), offline, from the installed
// onnxruntime-node: each VSIX holds the one native build (bin/napi-v6/<platform>/<arch>) its target runs.
//   node scripts/package.mjs                  the host's target → cnn-fixations.vsix (what test:e2e installs)
//   node scripts/package.mjs --target T       target T → cnn-fixations-T.vsix
//   node scripts/package.mjs --all-targets    every target onnxruntime-node ships a build for → cnn-fixations-T.vsix
// .vscodeignore lists what every VSIX holds; this script adds the target's native folder to a copy of it
// (.cache/vscodeignore-T) and hands that to vsce. Expects `npm run build` to have run (npm run package does it).
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVSIX } from '@vscode/vsce';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE = 'node_modules/onnxruntime-node/bin/napi-v6';

/** VS Code's target names (`vsce package --target`) for onnxruntime-node's <platform>/<arch> folders that exist. */
function shippedTargets(root = ROOT) {
  const dir = path.join(root, NATIVE);
  return readdirSync(dir)
    .flatMap((platform) => readdirSync(path.join(dir, platform)).map((arch) => `${platform}-${arch}`))
    .filter((t) => statSync(path.join(dir, ...t.split('-'), 'onnxruntime_binding.node'), { throwIfNoEntry: false })?.isFile())
    .sort();
}

function usage(message) {
  console.error(`${message}\nusage: node scripts/package.mjs [--target PLATFORM-ARCH | --all-targets]`);
  process.exit(2);
}

function parseArgs(argv, targets) {
  const host = `${process.platform}-${process.arch}`;
  if (argv.length === 0) {
    if (!targets.includes(host)) usage(`onnxruntime-node ships no native build for this machine (${host}); pick one of ${targets.join(', ')} with --target`);
    return [{ target: host, out: 'cnn-fixations.vsix' }];
  }
  if (argv.length === 1 && argv[0] === '--all-targets') return targets.map((t) => ({ target: t, out: `cnn-fixations-${t}.vsix` }));
  if (argv.length === 2 && argv[0] === '--target') {
    if (!targets.includes(argv[1])) usage(`no native build of onnxruntime-node for ${argv[1]}; the installed package has ${targets.join(', ')}`);
    return [{ target: argv[1], out: `cnn-fixations-${argv[1]}.vsix` }];
  }
  usage(`unknown arguments: ${argv.join(' ')}`);
}

async function packageTarget({ target, out }) {
  const [platform, arch] = target.split('-');
  const ignore = path.join(ROOT, '.cache', `vscodeignore-${target}`);
  mkdirSync(path.dirname(ignore), { recursive: true });
  const base = readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8');
  writeFileSync(ignore, `${base.trimEnd()}\n# added by scripts/package.mjs: the native build of ${target}\n!${NATIVE}/${platform}/${arch}/**\n`);
  const t = Date.now();
  // With a repository in package.json vsce rewrites README's relative links to it (what the Marketplace shows);
  // without one the links stay relative, as they are in the repository and in the installed extension.
  const { repository } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  try {
    await createVSIX({
      cwd: ROOT,
      target,
      ignoreFile: ignore,
      packagePath: path.join(ROOT, out),
      rewriteRelativeLinks: !!repository,
      allowMissingRepository: !repository,
    });
  } catch (e) {
    console.error(`vsce package --target ${target} failed: ${e.message}`);
    process.exit(1);
  }
  console.log(`${out}: ${target}, ${(statSync(path.join(ROOT, out)).size / 1e6).toFixed(1)} MB in ${Date.now() - t} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const job of parseArgs(process.argv.slice(2), shippedTargets())) await packageTarget(job);
}
