// node scripts/bench/preprocess.mjs [ROUNDS] (after npm run compile-tests): where preprocessing's time goes
// (README, "Where the time goes"). In one process, for the pelican (500×375) and the bench's 12-megapixel photo
// (made by `npm run bench` in the temp folder), medians over ROUNDS rounds (default 15) of: the decode (as the
// explainer decodes for the model: a big JPEG at a reduced scale, `--full` at its full size), the resize
// (only the region the crop keeps), the crop and normalization into the tensor, and all three; the first round of
// each (cold: V8 has not compiled the loops yet) is printed apart. Wall-clock and this process's CPU time, with
// the load average, since the machine may be shared.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const { decodeForModel, decodeImage, resizeFor, cropToTensor, viewGeometries } = require(path.join(out, 'preprocess', 'image.js'));
const { presets } = require(path.join(out, 'preprocess', 'presets.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

const full = process.argv.includes('--full');
const rounds = Number(process.argv.slice(2).find((a) => a !== '--full') ?? 15);
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const spec = { name: 'x', layout: 'NCHW', channels: 3, height: 224, width: 224, elemType: 1, dims: [1, 3, 224, 224] };
const big = path.join(os.tmpdir(), 'cnn-fixations-bench-12mp.jpg');
const photos = [fixturePath('images/pelican.jpeg'), ...(fs.existsSync(big) ? [big] : [])];
if (photos.length === 1) console.log(`(no ${big}: run \`npm run bench -- --models mobilenetv2-12-int8 --runs 1\` once to make it)`);

async function timed(f) {
  const c = cpuMs(),
    t = performance.now();
  const r = await f();
  return { r, wall: performance.now() - t, cpu: cpuMs() - c };
}

(async () => {
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${os.cpus().length} cores, node ${process.version}`,
  );
  for (const file of photos) {
    const bytes = fs.readFileSync(file);
    const steps = { decode: [], resize: [], tensor: [], total: [] };
    let size = '';
    for (let i = 0; i < rounds; i++) {
      const d = await timed(() => (full ? decodeImage(bytes).then((raster) => ({ ...raster, raster })) : decodeForModel(bytes, spec, presets.imagenet)));
      const img = d.r;
      const maps = viewGeometries(img, spec, presets.imagenet, 'single');
      const r = await timed(() => resizeFor(img.raster, maps));
      const t = await timed(() => cropToTensor(r.r, maps[0], spec, presets.imagenet));
      for (const [k, v] of [
        ['decode', d],
        ['resize', r],
        ['tensor', t],
      ])
        steps[k].push(v);
      steps.total.push({ wall: d.wall + r.wall + t.wall, cpu: d.cpu + r.cpu + t.cpu });
      const at = img.raster.width !== img.width ? ` decoded at ${img.raster.width}×${img.raster.height}` : '';
      size = `${img.width}×${img.height}${at} → ${maps[0].resizedWidth}×${maps[0].resizedHeight} → 224×224`;
    }
    console.log(`\n${path.basename(file)} (${size}), ms: warm median of ${rounds - 1} [cold first round]`);
    for (const [k, v] of Object.entries(steps)) {
      const warm = v.slice(1);
      const f = (key) => `${median(warm.map((s) => s[key])).toFixed(1)} [${v[0][key].toFixed(1)}]`;
      console.log(`  ${k.padEnd(7)} wall ${f('wall').padEnd(16)} cpu ${f('cpu')}`);
    }
  }
  console.log(
    `\nload average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
})();
