// The page of a sweep: accuracy, the confusion table, the most frequent confusions, and the mistakes sorted by
// confidence, each with the predicted class's map, "predicted rather than expected" and the expected class's
// map side by side. One renderer for the CLI's self-contained report.html and for the VS Code view (where a
// script of its own makes each mistake open the explanation panel): both show the same page. Pure text from
// the summary and the pictures; colours come from VS Code's theme variables when there are any.
import type { SweepSummary } from '../sweep/summary';
import { escapeHtml as e } from './html';

/** A map as layers over the image (data: URIs): its heat map (none when it has no heat), drawn smaller and stretched, and its points and box. */
export interface MapPictures {
  readonly heat: string | null;
  readonly marks: string;
}

/**
 * A mistake's pictures: its image once (a data: URI, shown at width × height, enlarged pixel for pixel when
 * smaller) and each map's layers of width × height laid over it.
 */
export interface Thumbnail {
  readonly width: number;
  readonly height: number;
  readonly base: string;
  readonly predicted: MapPictures;
  readonly versus: MapPictures;
  readonly expected: MapPictures;
}

/** Per listed mistake (by path): its pictures, or why there are none. */
export type MistakeThumbnails = ReadonlyMap<string, Thumbnail | string>;

export interface SweepPage {
  /** The Content-Security-Policy; default: a file that loads nothing (images inline, no script). */
  readonly csp?: string;
  /**
   * The VS Code view's script, its nonce and the state it keeps for VS Code to restore the view after a reload:
   * mistakes get a button that opens them in the explanation panel, the page an Export button. */
  readonly script?: { readonly src: string; readonly nonce: string; readonly state?: unknown };
}

/** Above this many classes the confusion table is listed pair by pair (the most frequent), not drawn as a matrix. */
const MATRIX_CLASSES = 30;

const pct = (v: number | null, d = 1) => (v === null ? '–' : `${(v * 100).toFixed(d)}%`);
const first = (label: string) => label.split(',')[0].trim();
const base = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

function matrix(s: SweepSummary): string {
  const classes = [...new Set(s.confusion.flatMap((c) => [c.expected, c.predicted]))].sort((a, b) => a - b);
  if (!classes.length) return '<p>No labelled image was explained: there is nothing to confuse.</p>';
  if (classes.length > MATRIX_CLASSES)
    return `<p>${classes.length} classes take part: the most frequent confusions are listed below; <code>summary.json</code> has every pair.</p>`;
  const names = new Map(s.perClass.map((c) => [c.class.index, c.class.label]));
  for (const c of s.confusions) names.set(c.predicted.index, c.predicted.label).set(c.expected.index, c.expected.label);
  const name = (k: number) => first(names.get(k) ?? String(k));
  const cell = new Map(s.confusion.map((c) => [`${c.expected},${c.predicted}`, c.count]));
  const rows = s.perClass.map((row) => {
    const k = row.class.index;
    const tds = classes.map((p) => {
      const n = cell.get(`${k},${p}`) ?? 0;
      const share = n / row.images;
      const kind = p === k ? 'hit' : 'miss';
      const style = n ? ` style="--share:${share.toFixed(3)}"` : '';
      return `<td class="${n ? kind : 'zero'}"${style} title="${e(`${name(k)} → ${name(p)}: ${n} of ${row.images}`)}">${n || ''}</td>`;
    });
    return `<tr><th scope="row">${k} ${e(name(k))}</th><td class="num">${row.images}</td><td class="num">${pct(row.accuracy, 0)}</td>${tds.join('')}</tr>`;
  });
  const head = classes.map((p) => `<th scope="col" class="pred" title="${e(`predicted ${name(p)}`)}"><span>${p} ${e(name(p))}</span></th>`).join('');
  return `<div class="scroll"><table class="confusion"><thead><tr><th>expected ↓ · predicted →</th><th>images</th><th>right</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function confusions(s: SweepSummary): string {
  if (!s.confusions.length) return '<p>No confusions.</p>';
  const items = s.confusions.map(
    (c) =>
      `<li><strong>${e(first(c.expected.label))}</strong> taken for <strong>${e(first(c.predicted.label))}</strong>: ${c.count} (${pct(c.share, 0)} of ${e(first(c.expected.label))})</li>`,
  );
  return `<ol class="confusions">${items.join('')}</ol>`;
}

function mistakes(s: SweepSummary, thumbs: MistakeThumbnails, clickable: boolean): string {
  if (!s.mistakes.length) return '<p>No mistakes.</p>';
  const shown =
    s.counts.wrong > s.mistakes.length
      ? `<p>The ${s.mistakes.length} most confident of ${s.counts.wrong} mistakes; <code>results.jsonl</code> has every one.</p>`
      : '';
  const rows = s.mistakes.map((m, i) => {
    const p = first(m.predicted.label),
      x = first(m.expected.label);
    const t = thumbs.get(m.path);
    const fig = (which: keyof Pick<Thumbnail, 'predicted' | 'versus' | 'expected'>, caption: string) =>
      typeof t === 'object'
        ? `<figure><div class="pic">${t[which].heat ? `<img class="heat" alt="" width="${t.width}" height="${t.height}" src="${e(t[which].heat)}">` : ''}<img alt="${e(caption)}" width="${t.width}" height="${t.height}" src="${e(t[which].marks)}"></div><figcaption>${e(caption)}</figcaption></figure>`
        : '';
    const figures =
      typeof t === 'object'
        ? `<div class="maps" style="--image:url(&quot;${e(t.base)}&quot;)">${fig('predicted', `${p}: its own map`)}${fig('versus', `why ${p}, not ${x}`)}${fig('expected', `${x}: its own map`)}</div>`
        : `<p class="note">No pictures: ${e(t ?? 'none were drawn')}.</p>`;
    const open = clickable
      ? `<button type="button" data-open="${e(m.path)}" title="${e(`Open ${m.path} in the explanation panel on why ${p}, not ${x}`)}">Why ${e(p)}, not ${e(x)}?</button>`
      : '';
    return `<article class="mistake"><header><span class="rank">${i + 1}</span> <code>${e(m.path)}</code> <span class="verdict">predicted <strong>${e(p)}</strong> ${pct(m.confidence)} · expected <strong>${e(x)}</strong> ${pct(m.expectedScore)} (rank ${m.expectedRank})</span>${open}</header>${figures}</article>`;
  });
  return shown + rows.join('');
}

function errors(s: SweepSummary): string {
  if (!s.counts.errors) return '';
  const more = s.counts.errors > s.errors.length ? `<p>The first ${s.errors.length} of ${s.counts.errors}.</p>` : '';
  return `<h2>Images that could not be explained (${s.counts.errors})</h2>${more}<ul class="errors">${s.errors.map((x) => `<li><code>${e(x.path)}</code>: ${e(x.error)}</li>`).join('')}</ul>`;
}

/** The view's script tag, with the state it hands VS Code (JSON in an attribute). */
export const viewScript = (script: NonNullable<SweepPage['script']>): string =>
  `<script nonce="${e(script.nonce)}" src="${e(script.src)}"${script.state === undefined ? '' : ` data-state="${e(JSON.stringify(script.state))}"`}></script>`;

export function renderSweepReport(s: SweepSummary, thumbs: MistakeThumbnails, page: SweepPage = {}): string {
  const csp = page.csp ?? "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
  const model = base(s.model.path),
    data = base(s.dataset.root);
  const settings = Object.entries(s.options)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const c = s.counts;
  const stat = (value: string, what: string) => `<div class="stat"><div class="value">${value}</div><div class="what">${what}</div></div>`;
  const exportButton = page.script
    ? '<button type="button" data-export="1" title="Copy results.jsonl, summary.json and report.html to a folder of your choice">Export…</button>'
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Misclassifications: ${e(model)} on ${e(data)}</title>
<style>
body{font:14px/1.45 var(--vscode-font-family,system-ui,sans-serif);margin:20px 24px;color:var(--vscode-foreground,#1b1b1b);background:var(--vscode-editor-background,#fafafa)}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px} .sub{color:var(--vscode-descriptionForeground,#555)}
code{background:var(--vscode-textCodeBlock-background,#eee);padding:1px 4px;border-radius:3px}
.top{display:flex;justify-content:space-between;align-items:flex-start;gap:16px}
.stats{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.stat{border:1px solid var(--vscode-panel-border,#ddd);border-radius:6px;padding:8px 14px;min-width:92px}
.stat .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums} .stat .what{color:var(--vscode-descriptionForeground,#555);font-size:12px}
.scroll{overflow-x:auto}
table.confusion{border-collapse:collapse;font-variant-numeric:tabular-nums}
.confusion th,.confusion td{border:1px solid var(--vscode-panel-border,#ddd);padding:3px 6px;text-align:right}
.confusion th[scope=row]{text-align:left;white-space:nowrap}
.confusion th.pred{vertical-align:bottom;height:110px;padding:2px} .confusion th.pred span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.confusion td.hit{background:rgba(46,160,67,calc(.15 + .6*var(--share)))} .confusion td.miss{background:rgba(229,83,75,calc(.12 + .8*var(--share)))}
.confusion td.zero{color:transparent}
.mistake{border:1px solid var(--vscode-panel-border,#ddd);border-radius:6px;padding:10px 12px;margin:10px 0}
.mistake header{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:baseline;margin-bottom:8px}
.mistake .rank{color:var(--vscode-descriptionForeground,#555)} .verdict{flex:1}
.maps{display:flex;gap:12px;flex-wrap:wrap} figure{margin:0}
.pic{position:relative;border:1px solid var(--vscode-panel-border,#ddd);width:max-content;background:var(--image) 0 0/100% 100% no-repeat;image-rendering:pixelated}
.pic img{display:block;position:relative} .pic img.heat{position:absolute;left:0;top:0;image-rendering:auto}
figcaption{font-size:12px;color:var(--vscode-descriptionForeground,#555);margin-top:3px;max-width:192px}
button{font:inherit;color:var(--vscode-button-foreground,#fff);background:var(--vscode-button-background,#005fb8);border:0;border-radius:3px;padding:4px 10px;cursor:pointer}
button:hover{background:var(--vscode-button-hoverBackground,#0258a8)} button:focus-visible{outline:1px solid var(--vscode-focusBorder,#005fb8);outline-offset:2px}
.note{color:var(--vscode-descriptionForeground,#555)} .errors li{margin:2px 0}
</style></head><body>
<div class="top"><div><h1>Misclassifications: ${e(model)} on ${e(data)}</h1>
<div class="sub"><code>${e(s.dataset.root)}</code>${s.dataset.manifest ? ` · manifest <code>${e(s.dataset.manifest)}</code>` : ''} · ${s.classCount} classes${settings ? ` · ${e(settings)}` : ''}</div></div>${exportButton}</div>
<div class="stats">${stat(pct(s.accuracy.top1), 'top-1 accuracy')}${stat(pct(s.accuracy.top5), 'top-5 accuracy')}${stat(String(c.images), 'images')}${stat(String(c.wrong), 'wrong')}${stat(String(c.errors), 'unreadable')}${c.unlabelled ? stat(String(c.unlabelled), 'unlabelled') : ''}</div>
<h2>Confusion table</h2>
${matrix(s)}
<h2>Most frequent confusions</h2>
${confusions(s)}
<h2>Mistakes, most confident first</h2>
<p class="note">Each mistake: the predicted class's own map, why the predicted class rather than the expected one (the predicted class's score above the expected's: mode versus), and the expected class's own map.</p>
${mistakes(s, thumbs, !!page.script)}
${errors(s)}
${page.script ? viewScript(page.script) : ''}
</body></html>
`;
}
