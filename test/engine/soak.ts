// The soak: N explanations (default 500) in one engine process, as panels use it: models in turn (int8
// MobileNetV2, MNIST, QDQ ShuffleNetV2), each opened on an image, two class switches, an export every tenth,
// then released (its panel closed). Reports the engine's RSS and open file descriptors after warm-up and at
// the end, and the explanations it still holds. Not a timed test: run it by hand.
//   npm run build && npm run compile-tests && node out/test/engine/soak.js [N]
import * as fs from 'node:fs';
import { EngineClient } from '../../src/engine/client';
import { fixturePath } from '../../src/fixtures';
import { demoModel, enginePath, pelican } from './paths';

const rssMB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const fds = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).length;

async function main(n: number): Promise<void> {
  // --trace-gc: V8's heap after each full collection (Mark-Compact), what the JS objects really hold
  const heapAfterGc: number[] = [];
  const client = new EngineClient({
    enginePath,
    execArgv: ['--trace-gc'],
    log: (_, m) => {
      const g = /Mark-Compact[^\n]*?-> ([\d.]+) \(/.exec(m);
      if (g) heapAfterGc.push(Number(g[1]));
    },
  });
  let heapBase = 0;
  const runs = [
    { modelPath: demoModel, images: [pelican, fixturePath('images/eagle.jpg'), fixturePath('images/dog.jpg')], classes: 1000 },
    {
      modelPath: fixturePath('models/mnist-8.onnx'),
      images: ['digit_0', 'digit_3', 'digit_5', 'digit_7'].map((d) => fixturePath(`images/${d}.jpg`)),
      classes: 10,
    },
    {
      modelPath: fixturePath('models/shufflenet-v2-12-qdq.onnx'),
      images: [fixturePath('images/giraffe.jpg'), fixturePath('images/horses.jpg')],
      classes: 1000,
    },
  ];
  const warmup = Math.min(50, n >> 2);
  let base: { rss: number; fds: number } | undefined,
    peak = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = runs[i % runs.length];
    const opened = await client.open(i + 1, { modelPath: r.modelPath, imagePath: r.images[i % r.images.length], options: {} });
    for (const k of [(i * 7) % r.classes, (i * 13 + 1) % r.classes]) await client.explain(opened.handle, 'main', { classIndex: k });
    if (i % 10 === 0) await client.exportData(opened.handle, 'json', { heat: true, points: true, box: true, opacity: 0.5 });
    await client.release(opened.handle);
    const pid = client.pid!;
    peak = Math.max(peak, rssMB(pid));
    if (i + 1 === warmup) {
      base = { rss: rssMB(pid), fds: fds(pid) };
      heapBase = heapAfterGc.length;
    }
  }
  const pid = client.pid!;
  const end = { rss: rssMB(pid), fds: fds(pid) };
  const s = client.stats;
  console.log(
    `${n} explanations (${n * 3} class explanations) in ${((performance.now() - t0) / 1000).toFixed(0)} s, one engine (pid ${pid}, ${s?.sessionsOpened} sessions opened, ${s?.forwardPasses} forward passes, ${s?.handles} held at the end)\n` +
      `RSS after ${warmup} (warm-up) ${base!.rss.toFixed(0)} MB → at the end ${end.rss.toFixed(0)} MB: ${(((end.rss - base!.rss) / base!.rss) * 100).toFixed(1)}% (peak ${peak.toFixed(0)} MB)\n` +
      `open file descriptors ${base!.fds} → ${end.fds}\n` +
      `V8 heap after full collections: the first after warm-up ${heapAfterGc[heapBase]?.toFixed(1)} MB, the last ${heapAfterGc.at(-1)?.toFixed(1)} MB (${heapAfterGc.length - heapBase} collections; min ${Math.min(...heapAfterGc.slice(heapBase)).toFixed(1)}, max ${Math.max(...heapAfterGc.slice(heapBase)).toFixed(1)})`,
  );
  await client.dispose();
}

void main(Number(process.argv[2] ?? 500));
