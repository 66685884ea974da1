// Whether this machine can run the engine: onnxruntime-node loads bin/napi-v6/<platform>/<arch>/onnxruntime_binding.node,
// and a platform-specific VSIX carries only its own target's folder (scripts/package.mjs). Asked before the engine
// starts, so a VSIX on the wrong machine, or a machine onnxruntime-node has no build for (Intel Macs), gets a
// sentence saying so instead of the engine dying on a missing module.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The <platform>-<arch> builds present under `ortDir` (an onnxruntime-node folder), sorted. */
function nativeBuilds(ortDir: string): string[] {
  const bin = path.join(ortDir, 'bin', 'napi-v6');
  const dirs = (p: string) =>
    fs.existsSync(p)
      ? fs
          .readdirSync(p, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
      : [];
  return dirs(bin)
    .flatMap((platform) => dirs(path.join(bin, platform)).map((arch) => `${platform}-${arch}`))
    .filter((t) => fs.existsSync(path.join(bin, ...t.split('-'), 'onnxruntime_binding.node')))
    .sort();
}

/** Why the engine cannot run on `platform`-`arch` with the onnxruntime-node in `ortDir`; undefined when it can. */
export function nativeBindingProblem(ortDir: string, platform: string, arch: string): string | undefined {
  const here = `${platform}-${arch}`;
  const builds = nativeBuilds(ortDir);
  if (builds.includes(here)) return undefined;
  if (here === 'darwin-x64') {
    const also = builds.includes('darwin-arm64')
      ? " On an Apple silicon Mac, use VS Code's Apple silicon build rather than its Intel build under Rosetta."
      : '';
    return `CNN Fixations cannot run on Intel Macs (darwin-x64): its inference runtime, onnxruntime-node, ships no build for them (it has ${builds.join(', ')}).${also}`;
  }
  if (!builds.length)
    return `this copy of CNN Fixations has no onnxruntime native build (${path.join(ortDir, 'bin', 'napi-v6')} is empty or missing): reinstall the extension.`;
  return `this copy of CNN Fixations was packaged for ${builds.join(', ')}, and this machine is ${here}: install the CNN Fixations build for ${here} (the Marketplace picks it; from a VSIX, take cnn-fixations-${here}.vsix).`;
}
