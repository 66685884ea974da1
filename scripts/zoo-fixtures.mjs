// Finds or makes the architecture zoo. The fixtures are too big to commit (VGG-16 alone is 528 MB), so
// they live in a cache folder outside the repository, one subfolder per hash of the generator's sources:
// editing the generator makes a new zoo; an unchanged generator reuses the one already made. A zoo is
// complete when its manifest.json exists (the generator writes it last). Once a new one is complete, only the
// newest three complete zoos are kept (parallel checkouts on different generators keep theirs), so the cache
// does not grow without bound.
//
//   node scripts/zoo-fixtures.mjs            prints the zoo folder, generating it first if needed
//   node scripts/zoo-fixtures.mjs --check    prints it, or exits 1 if it is not generated yet
//
// Environment: CNN_FIXATIONS_ZOO_CACHE (root folder; default ${XDG_CACHE_HOME:-~/.cache}/cnn-fixations/zoo),
// CNN_FIXATIONS_PYTHON (default /usr/bin/python3, Debian's, which has torch, torchvision and onnx),
// CNN_FIXATIONS_ZOO_ONLY (a regex on family / graph names: a partial zoo, e.g. to skip AlexNet and VGG on a
// machine without a persistent cache; it gets its own folder).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const generatorDir = join(repo, 'scripts', 'fixtures');

export function zooRoot() {
  if (process.env.CNN_FIXATIONS_ZOO_CACHE) return resolve(process.env.CNN_FIXATIONS_ZOO_CACHE);
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'cnn-fixations', 'zoo');
}

/** Hash of every generator source file (names and contents), so any edit makes a new zoo. */
export function generatorHash() {
  const h = createHash('sha256');
  for (const f of readdirSync(generatorDir)
    .filter((n) => n.endsWith('.py'))
    .sort()) {
    h.update(f)
      .update('\0')
      .update(readFileSync(join(generatorDir, f)))
      .update('\0');
  }
  const only = process.env.CNN_FIXATIONS_ZOO_ONLY;
  return h.digest('hex').slice(0, 16) + (only ? `-only-${createHash('sha256').update(only).digest('hex').slice(0, 8)}` : '');
}

/** The folder of the repository's photos, from the fixtures' resolver (dist/fixtures.js: `npm run build` makes it). */
function fixtureImages() {
  const bundle = join(repo, 'dist', 'fixtures.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
  return createRequire(import.meta.url)(bundle).imagesDir();
}

export function zooDir() {
  return join(zooRoot(), generatorHash());
}

export function ensureZoo({ generate = true, log = (m) => process.stderr.write(m + '\n') } = {}) {
  const dir = zooDir();
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  if (!generate) throw new Error(`the zoo is not generated yet (${dir}); run: node scripts/zoo-fixtures.mjs`);
  const python = process.env.CNN_FIXATIONS_PYTHON || '/usr/bin/python3';
  log(`zoo: generating fixtures into ${dir} (first run for this generator; takes several minutes)`);
  const only = process.env.CNN_FIXATIONS_ZOO_ONLY ? ['--only', process.env.CNN_FIXATIONS_ZOO_ONLY] : [];
  // The photos that calibrate BatchNorm: the repository's (src/fixtures), always given, so the generator never looks elsewhere.
  const env = { ...process.env, CNN_FIXATIONS_IMAGES: fixtureImages() };
  const r = spawnSync(python, ['-B', '-W', 'ignore', join(generatorDir, 'zoo_gen.py'), dir, ...only], {
    stdio: ['ignore', process.stderr, process.stderr],
    env,
  });
  if (r.error) throw new Error(`cannot run ${python}: ${r.error.message}. The generator needs Debian's python3-torch, python3-torchvision and python3-onnx.`);
  if (r.status !== 0 || !existsSync(join(dir, 'manifest.json'))) throw new Error(`the zoo generator failed (exit ${r.status}); see its output above`);
  evictOldZoos(dir);
  return dir;
}

/**
 * Keeps the cache bounded without evicting a zoo that another checkout (a worktree on another generator) still
 * uses: the newest `KEEP` complete zoos stay, with the one just made; an incomplete folder (a generation that
 * died, or one still running elsewhere) goes once it is a day old.
 */
const KEEP = 3;
function evictOldZoos(made) {
  const root = zooRoot();
  const entries = readdirSync(root).map((name) => {
    const path = join(root, name);
    const manifest = join(path, 'manifest.json');
    const complete = existsSync(manifest);
    return { path, complete, mtime: statSync(complete ? manifest : path).mtimeMs };
  });
  const complete = entries.filter((e) => e.complete && e.path !== made).sort((a, b) => b.mtime - a.mtime);
  const stale = [...complete.slice(KEEP - 1), ...entries.filter((e) => !e.complete && Date.now() - e.mtime > 86_400_000)];
  for (const e of stale) rmSync(e.path, { recursive: true, force: true });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensureZoo({ generate: !process.argv.includes('--check') }));
  } catch (e) {
    console.error(`zoo-fixtures: ${e.message}`);
    process.exit(1);
  }
}
