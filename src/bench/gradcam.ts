// The peer in the bench's run: Grad-CAM in PyTorch (scripts/bench/gradcam.py) on the same architecture, its
// forward + backward + map divided by torch's own plain forward, so the table can set our explanation ÷
// onnxruntime's forward beside it. Optional: where Python cannot import torch the lane is skipped with a note
// saying why and what to install.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** torchvision's name for each bench model's architecture (the quantized files: their float architecture). */
export function torchArchitecture(model: string): string | undefined {
  const table: [RegExp, string][] = [
    [/^mobilenetv2-12|^mobilenet_v2-/, 'mobilenet_v2'],
    [/^shufflenet-v2-12/, 'shufflenet_v2_x1_0'],
    [/^resnet50-/, 'resnet50'],
    [/^vgg16-/, 'vgg16'],
    [/^densenet121-/, 'densenet121'],
    [/^googlenet-/, 'googlenet'],
    [/^efficientnet_b0-/, 'efficientnet_b0'],
  ];
  return table.find(([re]) => re.test(model))?.[1];
}

export type GradcamResult =
  | { readonly ratio: number; readonly plainMs: number; readonly gradcamMs: number; readonly torch: string; readonly layer: string }
  | { readonly skipped: string };

/** scripts/bench/gradcam.py, found from this file upwards (the bundle in dist/ or the compiled tests in out/). */
function script(): string | undefined {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const f = path.join(dir, 'scripts', 'bench', 'gradcam.py');
    if (fs.existsSync(f)) return f;
  }
  return undefined;
}

export const defaultPython = () => process.env.CNN_FIXATIONS_PYTHON || '/usr/bin/python3';

/** Grad-CAM's warm median time ÷ torch's warm plain forward for `arch`, `threads` intra-op threads, or why not. */
export function gradcamLane(arch: string, runs: number, threads: number, python = defaultPython()): GradcamResult {
  const file = script();
  if (!file) return { skipped: 'scripts/bench/gradcam.py is not in this checkout' };
  const probe = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? `${python} cannot be run` : `${python} cannot import torch and torchvision`;
    return { skipped: `${why}: Grad-CAM not measured (Debian: apt-get install python3-torch python3-torchvision; or set CNN_FIXATIONS_PYTHON)` };
  }
  const r = spawnSync(python, ['-B', '-W', 'ignore', file, arch, String(runs), String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return { skipped: `Grad-CAM failed on ${arch}: ${(r.stderr || '').trim().split('\n').pop()}` };
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { torch: string; plainMs: number; gradcamMs: number; layer: string };
  return { ...out, ratio: out.gradcamMs / out.plainMs };
}
