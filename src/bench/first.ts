// The first explanation in a fresh process (npm run bench, JSON `first`): what each CLI run and a model's first
// panel pay once, beside the warm figures.
import { f1 } from './format';
import type { ModelResult } from './main';

/**
 * One explanation in a fresh process, ms, by the explainer's own timings: the model opened (parsed, planned, its
 * onnxruntime session created), the photo decoded and preprocessed, the forward, then the first walk and map. Beside
 * the warm figures it shows what is paid once: V8 compiling the code, and each weight's first read (from the file,
 * dequantized, transposed for the channel choice).
 */
export interface FirstExplanation {
  openMs: number;
  preprocessMs: number;
  forwardMs: number;
  unravelMs: number;
  heatmapMs: number;
  /** From the call that opens the model to the explanation's result. */
  totalMs: number;
}

/** The first explanation in a fresh process, by part, beside the warm one's parts. */
export function firstTable(results: readonly ModelResult[]): string {
  const rows = results.map((r) => {
    const f = r.first;
    if (!f) return `| ${r.name} | – | – | – | – | – | – | ${f1(r.explainMs)} |`;
    return (
      `| ${r.name} | ${f1(f.openMs)} | ${f1(f.preprocessMs)} (${f1(r.preprocessMs)}) | ${f1(f.forwardMs)} (${f1(r.forwardWithIntermediatesMs)}) | ` +
      `${f1(f.unravelMs)} (${f1(r.unravelMs)}) | ${f1(f.heatmapMs)} (${f1(r.heatmapMs)}) | ${f1(f.totalMs)} | ${f1(r.explainMs)} |`
    );
  });
  return [
    '| model | first in a fresh process: open ms | preprocess ms (warm) | forward ms (warm) | unravel ms (warm) | heat map ms (warm) | whole ms | warm explain ms |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
