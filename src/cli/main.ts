// The command line's entry: `sweep` and `merge` (src/sweep/cli.ts) and, for anything else, the explain command
// (explain.ts), loaded only then, so that a sweep's coordinator does not load onnxruntime, jimp and the
// explanation code it never runs (~0.1 s of CPU at every start).
import { mergeMain, sweepMain } from '../sweep/cli';
import { UsageError } from './options';
import { CHILD, superviseSelf } from './supervise';
import { mark } from '../sweep/timeline';

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'sweep') return sweepMain(argv.slice(1));
  if (argv[0] === 'merge') return mergeMain(argv.slice(1));
  return (await import('./explain.js')).explainMain(argv);
}

if (require.main === module) {
  mark('cli loaded');
  const debug = process.argv.includes('--debug');
  const args = process.argv.slice(2);
  // explain runs supervised (supervise.ts: V8's out-of-memory becomes one line); sweep has its own workers and a
  // progress line that needs the terminal; --debug wants V8's own words
  const supervised = !process.env[CHILD] && !debug && !['sweep', 'merge'].includes(args[0]);
  (supervised ? superviseSelf(args) : main(args)).then(
    (code) => {
      mark('exit');
      process.exit(code);
    },
    (e: unknown) => {
      const err = e as Error;
      if (debug) console.error(err.stack ?? err);
      else console.error(`cnn-fixations: ${err?.message ?? String(e)}`);
      const usageError = err instanceof UsageError || !!(err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
      if (usageError) console.error(`Run cnn-fixations ${['sweep', 'merge'].includes(process.argv[2]) ? `${process.argv[2]} ` : ''}--help for usage.`);
      process.exit(usageError ? 2 : 1);
    },
  );
}
