// The bench's rounds (npm run bench -- --rounds N): every model measured N times, in turn, and reported by its median
// round with every round's ratios beside it.
import type { ModelResult } from './main';

/** Per round, the ratios the goals are set in. */
export interface RoundRatios {
  explainToPlain: number[];
  explainToPlainCpu: number[];
  unravelToPlain: number[];
}

/**
 * One model's round whose explain ÷ plain is the median (the lower middle of an even count), with every round's
 * ratios: on a machine whose speed drifts by a quarter between runs minutes apart, one round says little.
 */
export function medianRound(rounds: readonly ModelResult[]): ModelResult {
  const ratios = (f: (r: ModelResult) => number) => rounds.map(f);
  const byExplain = [...rounds].sort((a, b) => a.explainMs / a.plainForwardMs - b.explainMs / b.plainForwardMs);
  return {
    ...byExplain[(rounds.length - 1) >> 1],
    rounds: {
      explainToPlain: ratios((r) => r.explainMs / r.plainForwardMs),
      explainToPlainCpu: ratios((r) => r.cpu.explainMs / r.cpu.plainForwardMs),
      unravelToPlain: ratios((r) => r.unravelMs / r.plainForwardMs),
    },
  };
}

/** Every round's ratios and their medians, one model a row (--rounds above 1). */
export function roundsTable(results: readonly ModelResult[]): string {
  const mid = (a: number[]) => [...a].sort((x, y) => x - y)[(a.length - 1) >> 1];
  const cell = (a: number[]) => `${a.map((v) => v.toFixed(2)).join(' ')} (**${mid(a).toFixed(2)}×**)`;
  const rows = results.flatMap((r) =>
    r.rounds ? [`| ${r.name} | ${cell(r.rounds.explainToPlain)} | ${cell(r.rounds.explainToPlainCpu)} | ${cell(r.rounds.unravelToPlain)} |`] : [],
  );
  return ['| model | explain ÷ plain, each round (median) | explain CPU ÷ plain CPU | unravel ÷ plain |', '|---|---|---|---|', ...rows].join('\n');
}
