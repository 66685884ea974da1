// Number and label formatting shared by the views.

/** A probability as a percentage that stays readable for tiny values (1e-7 is not "0.00%"). */
export function percent(p: number): string {
  if (!Number.isFinite(p)) return '–';
  const v = p * 100;
  if (v >= 0.01 || v === 0) return `${v.toFixed(2)}%`;
  return `${v.toExponential(1)}%`;
}

export function shape(dims: readonly (number | string)[]): string {
  return dims.length ? dims.join('×') : 'scalar';
}

export function ms(v: number): string {
  return Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '–';
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** ImageNet-style labels list synonyms after commas: the first is the name, the rest is detail. */
export function splitLabel(label: string): { name: string; rest: string } {
  const i = label.indexOf(',');
  return i < 0 ? { name: label, rest: '' } : { name: label.slice(0, i).trim(), rest: label.slice(i + 1).trim() };
}
