// The command line's options of a run (--preset, --mode, --conv-mode, …): their flags, their help and
// their parsing, all from the one declaration (src/shared/settings.ts).
import { readLabels } from '../labels';
import { offered, readOption, type ChoiceKey, type NumberKey, type RunOptions } from '../shared/settings';

/** A mistake in the command line (exit code 2, with a pointer to --help). */
export class UsageError extends Error {}

/** Where the help's descriptions start, and how wide its lines may get. */
const COLUMN = 23;
const WIDTH = 110;

function wrap(text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line].map((l, i) => (i ? ' '.repeat(indent) : '') + l);
}

/** The help of the declared options: each flag with what it decides and, for a choice, every value with what it means. */
export function optionsHelp(): string {
  const out: string[] = [];
  for (const [, o] of offered('flag')) {
    const [flag, arg] = o.flag!;
    const head = `  --${flag} ${arg}`.padEnd(COLUMN);
    // In the help's voice: a lower-case phrase, like the other options' lines.
    let text = o.description.charAt(0).toLowerCase() + o.description.slice(1).replace(/\.$/, '');
    if (o.kind === 'number') text += o.auto ? ` (default ${o.auto[0]}: ${o.auto[1]})` : ` (default ${o.default})`;
    out.push(head + wrap(text, COLUMN).join('\n'));
    if (o.kind !== 'choice') continue;
    const values = [...(o.auto ? [o.auto] : []), ...o.values];
    const width = Math.max(...values.map(([v]) => v.length)) + 2;
    for (const [v, meaning] of values)
      out.push(' '.repeat(COLUMN + 2) + v.padEnd(width) + wrap(meaning + (v === o.default ? ' (default)' : ''), COLUMN + 2 + width).join('\n'));
  }
  return out.join('\n');
}

/** The declared flags, for node:util's parseArgs (each takes a value). */
export function optionFlags(): Record<string, { type: 'string' }> {
  return Object.fromEntries(offered('flag').map(([, o]) => [o.flag![0], { type: 'string' as const }]));
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The options of a run from the parsed flags; a value out of its declaration is a UsageError, an unreadable labels file an Error. */
export function runOptions(values: Readonly<Record<string, unknown>>): RunOptions {
  const out: Record<string, unknown> = {};
  for (const [key, o] of offered('flag')) {
    const flag = o.flag![0];
    const text = values[flag];
    if (typeof text !== 'string') continue;
    if (o.kind === 'file') {
      if (key === 'labels') out.labels = readLabels(text);
      continue;
    }
    const r = readOption(key as ChoiceKey | NumberKey, o.kind === 'number' && NUMBER.test(text) ? Number(text) : text, `--${flag}`);
    if (!r.ok) throw new UsageError(r.problem);
    if (r.value !== undefined) out[key] = r.value;
  }
  return out as RunOptions;
}
