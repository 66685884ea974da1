// Packages the extension as platform-specific VSIX files (`vsce package --target`), offline, from the installed
// onnxruntime-node: each VSIX holds the one native build (bin/napi-v6/<platform>/<arch>) its target runs.
//   node scripts/package.mjs                  the host's target → cnn-fixations.vsix (what test:e2e installs)
//   node scripts/package.mjs --target T       target T → cnn-fixations-T.vsix
//   node scripts/package.mjs --all-targets    every target onnxruntime-node ships a build for → cnn-fixations-T.vsix
// .vscodeignore lists what every VSIX holds; this script adds the target's native folder to a copy of it
// (.cache/vscodeignore-T) and hands that to vsce. Expects `npm run build` to have run (npm run package does it).
// vsce lists every file under its folder and matches each against every pattern, compiling the pattern each
// time: the lanes' code-server and Node in tools/ (tens of thousands of files) made that 70 s of CPU per VSIX.
// So vsce packs from a stage (.cache/vsix-stage, made once for all targets): the project's files as hard
// links, without tools/ and the other folders no VSIX takes a file from; .vscodeignore decides the rest there,
// as it would here.
import { linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** Top-level folders no VSIX takes a file from (.vscodeignore lets nothing in from them): left out of the stage. */
const UNSTAGED = new Set(['.git', '.cache', 'tools', 'out', 'test-results', 'conformance']);

/** Hard links of `from`'s files under `to` (a copy where links cannot be made). */
function linkTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const [src, dst] = [path.join(from, e.name), path.join(to, e.name)];
    if (e.isDirectory()) linkTree(src, dst);
    else if (e.isFile()) {
      try {
        linkSync(src, dst);
      } catch {
        writeFileSync(dst, readFileSync(src));
      }
    }
  }
}

/** The project without UNSTAGED and the VSIX files, as vsce's folder. */
function stage() {
  const dir = path.join(ROOT, '.cache', 'vsix-stage');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const e of readdirSync(ROOT, { withFileTypes: true })) {
    if (UNSTAGED.has(e.name) || e.name.endsWith('.vsix')) continue;
    if (e.isDirectory()) linkTree(path.join(ROOT, e.name), path.join(dir, e.name));
    else if (e.isFile()) linkSync(path.join(ROOT, e.name), path.join(dir, e.name));
  }
  return dir;
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

async function packageTarget({ target, out }, cwd) {
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
      cwd,
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
  const jobs = parseArgs(process.argv.slice(2), shippedTargets());
  const t = Date.now();
  const cwd = stage();
  console.log(`staged the project for vsce in ${Date.now() - t} ms`);
  for (const job of jobs) await packageTarget(job, cwd);
  rmSync(cwd, { recursive: true, force: true });
}
