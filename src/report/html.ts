// The self-contained HTML report: the image with its overlay, the predictions and the per-layer walk,
// in one file with no outside references (images inlined as data URIs, styles inline).
import { modeLegend } from '../shared/mode';
import type { ExplanationJson } from '../shared/result';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');

export function renderHtmlReport(r: ExplanationJson, overlayPng: Buffer, imagePng: Buffer): string {
  const e = escapeHtml;
  const base = r.model.path.split(/[\\/]/).pop() ?? r.model.path;
  const img = r.image.path.split(/[\\/]/).pop() ?? r.image.path;
  const preds = r.predictions
    .map((p) => `<tr${p.index === r.target.index ? ' class="target"' : ''}><td>${p.index}</td><td>${e(p.label)}</td><td>${fmt(p.score * 100, 2)}%</td></tr>`)
    .join('');
  const layers = r.layers
    .map(
      (l, i) =>
        `<tr><td>${i}</td><td>${e(l.op)}</td><td>${e(l.node)}</td><td>${e(l.tensor)}</td><td>[${l.shape.join('×')}]</td><td>${l.count}</td><td>${e((l.notes ?? []).join('; '))}</td></tr>`,
    )
    .join('');
  const t = r.timings;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>CNN Fixations: ${e(r.target.label)} in ${e(img)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1b1b;background:#fafafa}
h1{font-size:20px;margin:0 0 4px} .sub{color:#555;margin-bottom:16px}
.row{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
figure{margin:0} figcaption{color:#555;font-size:12px;margin-top:4px}
img{max-width:min(560px,90vw);height:auto;border:1px solid #ddd;image-rendering:auto}
table{border-collapse:collapse;margin:8px 0 20px} td,th{padding:3px 10px;border-bottom:1px solid #e3e3e3;text-align:left;font-variant-numeric:tabular-nums}
th{background:#f0f0f0} tr.target td{font-weight:600;background:#fff6d6}
code{background:#eee;padding:1px 4px;border-radius:3px}
.warning{border:1px solid #b89500;background:#fff8d6;border-radius:4px;padding:6px 10px;margin:0 0 16px}
</style></head><body>
<h1>Class ${r.target.index} “${e(r.target.label)}”</h1>
<div class="sub">${e(img)} (${r.image.width}×${r.image.height}) · model ${e(base)} · input <code>${e(r.model.input.name)}</code> [${r.model.input.shape.join('×')}]</div>
${(r.warnings ?? []).map((w) => `<p class="warning">⚠ ${e(w)}</p>`).join('\n')}
<div class="row">
<figure><img alt="overlay" src="data:image/png;base64,${overlayPng.toString('base64')}"><figcaption>Heat map (inferno), kept fixations (cyan) and box (green)${r.box ? ` [${r.box.join(', ')}]` : ' (none)'}</figcaption></figure>
<figure><img alt="image" src="data:image/png;base64,${imagePng.toString('base64')}"><figcaption>Original</figcaption></figure>
</div>
<h2>Predictions</h2>
<table><tr><th>class</th><th>label</th><th>probability</th></tr>${preds}</table>
<h2>Fixations</h2>
<p class="mode"><strong>${e(modeLegend(r))}</strong></p>
<p>${r.inputFixations.length} input fixations → ${r.points.length} points, ${r.keptPoints.length} kept after outlier removal.
Settings: mode <code>${e(r.settings.mode)}</code>${r.settings.versus !== null ? ` against class ${r.settings.versus}` : ''}, preset <code>${e(r.settings.preset)}</code>, conv mode <code>${e(r.settings.convMode)}</code>, flatten mode <code>${e(r.settings.flattenMode)}</code>, sigma ${fmt(r.settings.sigma)} px, box <code>${e(r.settings.boxMode)}</code>.
Timings: load ${fmt(t.loadMs)} ms, preprocess ${fmt(t.preprocessMs)} ms, inference ${fmt(t.inferenceMs)} ms, unravel ${fmt(t.unravelMs)} ms, heat map ${fmt(t.heatmapMs)} ms.</p>
<h2>Walk from the output to the input</h2>
<table><tr><th>#</th><th>op</th><th>node</th><th>tensor</th><th>shape</th><th>fixations</th><th>notes</th></tr>${layers}</table>
</body></html>
`;
}
