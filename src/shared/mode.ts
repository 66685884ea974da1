// What an explanation's mode means, in words, for every place a user meets one: the panel's legend, the HTML
// report, the CLI's summary. Pure text from the result's settings.
import type { ExplanationJson } from './result';

const first = (label: string) => label.split(',')[0].trim();

/** One sentence: what the map shows for this result's mode (and its contrast class, in mode versus). */
export function modeLegend(r: Pick<ExplanationJson, 'settings' | 'target'>): string {
  const s = r.settings;
  if (s.method && s.method !== 'fixations') return `${s.method === 'cam' ? 'CAM' : 'Occlusion'}: a saliency map of ${first(r.target.label)}; no fixations.`;
  const a = first(r.target.label);
  switch (s.mode) {
    case 'paper':
      return `Paper mode: the fixations of ${a} by the paper's rules, every fixation counting 1.`;
    case 'weighted':
      return `Weighted: the paper's fixations of ${a}, each with its share of the class score (heat and point size show the share).`;
    case 'discriminative':
      return `Discriminative: why ${a} rather than the other classes; heat and point size show each fixation's share.`;
    case 'versus':
      return `Why ${a} rather than ${first(s.versusLabel ?? `class ${s.versus}`)}: what puts ${a}'s score above ${first(s.versusLabel ?? `class ${s.versus}`)}'s.`;
    default:
      return `Mode ${s.mode}.`;
  }
}
