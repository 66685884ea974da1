// The platform-specific VSIX files (npm run package -- --all-targets), checked the way each target's VS Code would
// use them: the manifest's target, only that target's native files, each a native binary of the target's format
// and CPU (ELF / Mach-O / PE header and machine field), and the bundle's own require chain (dist/engine.js →
// onnxruntime-node → bin/napi-v6/${process.platform}/${process.arch}) landing on that binding when Node reports
// the target's platform and arch. The host's own target also loads onnxruntime for real.
// Usage: node scripts/check-vsix.mjs [FILE.vsix ...] (default: cnn-fixations-*.vsix). Closing line: "N passed, N failed".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE = 'extension/node_modules/onnxruntime-node/bin/napi-v6/';
const NATIVE_FILE = /\.(node|dll|dylib)$|\.so(\.\d+)*$/;

/** Format and CPU of a native binary from its header: ELF e_machine, Mach-O cputype, PE COFF Machine. */
function nativeKind(bytes) {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    // ELF: EI_CLASS 2 = 64-bit, EI_DATA 1 = little endian; e_machine at 18
    const machine = { 0x3e: 'x64', 0xb7: 'arm64' }[b.readUInt16LE(18)] ?? `machine 0x${b.readUInt16LE(18).toString(16)}`;
    return { format: 'elf', arch: b[4] === 2 && b[5] === 1 ? machine : `ELF class ${b[4]} data ${b[5]}` };
  }
  if (b.length >= 8 && b.readUInt32LE(0) === 0xfeedfacf) {
    // Mach-O 64-bit, little endian: cputype at 4 (CPU_ARCH_ABI64 | CPU_TYPE_ARM / CPU_TYPE_X86)
    const cpu = b.readUInt32LE(4);
    return { format: 'mach-o', arch: { 0x0100000c: 'arm64', 0x01000007: 'x64' }[cpu] ?? `cputype 0x${cpu.toString(16)}` };
  }
  if (b.length >= 0x40 && b.toString('latin1', 0, 2) === 'MZ') {
    // PE: e_lfanew at 0x3c points at "PE\0\0", then the COFF header's Machine
    const pe = b.readUInt32LE(0x3c);
    if (pe + 6 <= b.length && b.readUInt32LE(pe) === 0x00004550) {
      const machine = b.readUInt16LE(pe + 4);
      return { format: 'pe', arch: { 0x8664: 'x64', 0xaa64: 'arm64' }[machine] ?? `machine 0x${machine.toString(16)}` };
    }
  }
  return { format: 'unknown', arch: 'unknown' };
}

const FORMAT = { linux: 'elf', darwin: 'mach-o', win32: 'pe' };

// Run in a child Node: claims the target's platform and arch, records the .node file the require chain asks
// for (a stub stands in for a binary this machine cannot load), then requires onnxruntime-node the way the
// bundle does (resolved from dist/engine.js).
const PROBE = `
const Module = require('node:module');
const [engine, platform, arch] = process.argv.slice(1);
Object.defineProperty(process, 'platform', { value: platform });
Object.defineProperty(process, 'arch', { value: arch });
const asked = [];
Module._extensions['.node'] = (m, file) => {
  asked.push(file);
  m.exports = new Proxy({}, { get: (_, k) => (k === 'listSupportedBackends' ? () => [{ name: 'cpu', bundled: true }] : () => undefined) });
};
Module.createRequire(engine)('onnxruntime-node');
console.log(JSON.stringify(asked));
`;

const results = [];
function check(name, fn) {
  try {
    fn();
    results.push(true);
    console.log(`  ✓ ${name}`);
  } catch (e) {
    results.push(false);
    console.log(`  ✗ ${name}: ${e.message}`);
  }
}

function checkVsix(file) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cnnf-vsix-'));
  try {
    const unzip = spawnSync('unzip', ['-q', file, '-d', dir], { encoding: 'utf8' });
    assert.equal(unzip.status, 0, `unzip ${file}: ${unzip.stderr}`);
    const manifest = readFileSync(path.join(dir, 'extension.vsixmanifest'), 'utf8');
    const target = /TargetPlatform="([^"]+)"/.exec(manifest)?.[1];
    const [platform, arch] = (target ?? '-').split('-');
    console.log(`${path.basename(file)} (${target ?? 'no target'})`);
    check('the manifest names a target onnxruntime-node has a build for', () => {
      assert.ok(FORMAT[platform] && ['x64', 'arm64'].includes(arch), `TargetPlatform ${target}`);
    });
    const files = listFiles(dir).map((f) => path.relative(dir, f).split(path.sep).join('/'));
    const natives = files.filter((f) => f.startsWith(NATIVE));
    check(`only ${platform}/${arch}'s native files (${natives.length})`, () => {
      const own = `${NATIVE}${platform}/${arch}/`;
      assert.ok(natives.includes(`${own}onnxruntime_binding.node`), 'the binding is missing');
      assert.deepEqual(
        natives.filter((f) => !f.startsWith(own)),
        [],
      );
      assert.deepEqual(
        files.filter((f) => NATIVE_FILE.test(f) && !f.startsWith(own)),
        [],
        'native files outside the target folder',
      );
    });
    for (const f of natives.filter((n) => NATIVE_FILE.test(n))) {
      check(`${f.slice(NATIVE.length)} is ${FORMAT[platform]} ${arch}`, () => {
        const k = nativeKind(readFileSync(path.join(dir, f)));
        assert.deepEqual(k, { format: FORMAT[platform], arch });
      });
    }
    const engine = path.join(dir, 'extension/dist/engine.js');
    check("dist/engine.js requires onnxruntime-node from node_modules, which asks for the target's binding", () => {
      assert.match(readFileSync(engine, 'utf8'), /require\("onnxruntime-node"\)/);
      const r = spawnSync(process.execPath, ['-e', PROBE, engine, platform, arch], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const asked = JSON.parse(r.stdout);
      assert.deepEqual(
        asked.map((a) => path.relative(dir, a).split(path.sep).join('/')),
        [`${NATIVE}${platform}/${arch}/onnxruntime_binding.node`],
      );
      assert.ok(existsSync(asked[0]));
    });
    if (target === `${process.platform}-${process.arch}`) {
      check('on this machine the binding loads for real and runs a session', () => {
        const code = `const o = require('onnxruntime-node'); o.InferenceSession.create(process.argv[1]).then((s) => console.log(o.env.versions.common, s.inputNames.join()))`;
        const model = path.join(dir, 'extension/media/demo/mobilenetv2-12-int8.onnx');
        const r = spawnSync(process.execPath, ['-e', code, model], { cwd: path.join(dir, 'extension/dist'), encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^1\.\d+\.\d+ input/);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const given = process.argv.slice(2);
  const vsixes = given.length
    ? given
    : readdirSync(ROOT)
        .filter((f) => /^cnn-fixations-.+\.vsix$/.test(f))
        .map((f) => path.join(ROOT, f));
  if (!vsixes.length) {
    console.error('no cnn-fixations-*.vsix here: run `npm run package -- --all-targets` first');
    process.exit(2);
  }
  for (const v of vsixes) checkVsix(v);
  const failed = results.filter((ok) => !ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
