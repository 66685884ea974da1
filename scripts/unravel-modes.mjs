// node scripts/unravel-modes.mjs MODEL... (after npm run compile-tests): the unravel's warm median per mode on the
// pelican, in one process, walks repeated without a forward between them (README, "Where the time goes").
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', 'out', 'src');
const { Explainer } = require(path.join(out, 'explain.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

(async () => {
  const names = process.argv.slice(2);
  if (!names.length) throw new Error('name one or more models of test-fixtures/real/models, e.g. mobilenetv2-12-dequantized-fp32');
  for (const name of names) {
    const ms = {};
    for (const mode of ['paper', 'weighted', 'discriminative']) {
      const e = await Explainer.create(fixturePath(`models/${name}.onnx`), { image: fixturePath('images/pelican.jpeg') }, { labels: [], mode });
      const t = [];
      for (let i = 0; i < 25; i++) {
        const x = e.explain();
        if (i >= 5) t.push(x.json.timings.unravelMs);
      }
      t.sort((a, b) => a - b);
      ms[mode] = Number(t[t.length >> 1].toFixed(1));
    }
    console.log(name, JSON.stringify(ms));
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
