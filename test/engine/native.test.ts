// Before the engine starts: does this install hold onnxruntime's native build for the machine? Against the
// installed onnxruntime-node (all five builds) and against copies laid out as one target's VSIX holds them.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient, EngineUnavailable } from '../../src/engine/client';
import { nativeBindingProblem } from '../../src/engine/native';
import { repo, tmpFile } from '../helpers/tmp';
import { demoModel, pelican } from './paths';

const installed = path.join(repo, 'node_modules', 'onnxruntime-node');

/** An extension folder as a VSIX for `targets` unpacks: dist/engine.js and onnxruntime-node with those builds only. */
function extensionFor(name: string, targets: readonly string[]): string {
  const root = tmpFile(name);
  const bin = path.join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  for (const t of targets) {
    const [platform, arch] = t.split('-');
    fs.mkdirSync(path.join(bin, platform, arch), { recursive: true });
    fs.copyFileSync(
      path.join(installed, 'bin', 'napi-v6', platform, arch, 'onnxruntime_binding.node'),
      path.join(bin, platform, arch, 'onnxruntime_binding.node'),
    );
  }
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(repo, 'dist', 'engine.js'), path.join(root, 'dist', 'engine.js'));
  return root;
}

describe('engine/native: the native build for this machine', () => {
  it('the installed onnxruntime-node runs on each of the five targets it ships, and on no Intel Mac', () => {
    for (const t of ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64']) {
      const [platform, arch] = t.split('-');
      assert.equal(nativeBindingProblem(installed, platform, arch), undefined, t);
    }
    const mac = nativeBindingProblem(installed, 'darwin', 'x64');
    assert.match(mac ?? '', /cannot run on Intel Macs \(darwin-x64\)/);
    assert.match(mac ?? '', /darwin-arm64, linux-arm64, linux-x64, win32-arm64, win32-x64/);
  });

  it("a darwin-arm64 VSIX under VS Code's Intel build says which VS Code to use", () => {
    const root = extensionFor('darwin-arm64-vsix', ['darwin-arm64']);
    const m = nativeBindingProblem(path.join(root, 'node_modules', 'onnxruntime-node'), 'darwin', 'x64');
    assert.match(m ?? '', /Intel Macs .* \(it has darwin-arm64\)\. On an Apple silicon Mac, use VS Code's Apple silicon build/);
  });

  it('a VSIX of another target names the build to install; one without any build says to reinstall', () => {
    const root = extensionFor('linux-x64-vsix', ['linux-x64']);
    const ort = path.join(root, 'node_modules', 'onnxruntime-node');
    assert.equal(nativeBindingProblem(ort, 'linux', 'x64'), undefined);
    assert.equal(
      nativeBindingProblem(ort, 'win32', 'x64'),
      'this copy of CNN Fixations was packaged for linux-x64, and this machine is win32-x64: install the CNN Fixations build for win32-x64 (the Marketplace picks it; from a VSIX, take cnn-fixations-win32-x64.vsix).',
    );
    assert.match(
      nativeBindingProblem(path.join(tmpFile('no-ort'), 'onnxruntime-node'), 'linux', 'x64') ?? '',
      /no onnxruntime native build .* reinstall the extension/,
    );
  });

  it('the engine client refuses to start an engine without a build for this machine, starting no process', async () => {
    const other = process.arch === 'arm64' ? 'x64' : 'arm64';
    const root = extensionFor('foreign-vsix', [`${process.platform}-${other}`]);
    const client = new EngineClient({ enginePath: path.join(root, 'dist', 'engine.js') });
    try {
      await assert.rejects(
        client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} }),
        (e: unknown) => e instanceof EngineUnavailable && /this machine is /.test(e.message),
      );
      assert.equal(client.pid, undefined);
      assert.equal(client.generation, 0);
    } finally {
      client.dispose();
    }
  });
});
