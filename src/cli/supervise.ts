// The CLI's explain runs in a child process of itself, so that V8 running out of heap (which prints its GC log
// and a native stack, then aborts: nothing JavaScript can catch) ends in one line that says what to do, exit 1.
// The child's stderr passes through line by line until V8's last words begin; those are held and, when they say
// the heap is full (the same text the extension's engine client reads, client.ts), replaced by that line. Any
// other death passes through as it was. stdin and stdout are the child's own.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as v8 from 'node:v8';
import { heapOutOfMemory } from '../engine/client';
import { explainHeapFlags } from '../engine/heap';
import { options } from '../shared/settings';

/** Set in the child: it does the work. */
export const CHILD = 'CNN_FIXATIONS_CLI_CHILD';
/** The first line of what V8 prints as it gives up on the heap. */
const lastWords = /^<--- Last few GCs --->|^<--- JS stacktrace --->|^FATAL ERROR:|^#\s*Fatal (JavaScript|process) out of memory/;

function outOfMemoryLine(): string {
  const heap = Math.round(v8.getHeapStatistics().heap_size_limit / 1024 / 1024);
  return (
    `cnn-fixations: out of memory: the explanation filled Node's JavaScript heap (${heap} MB) and was stopped. ` +
    `Use a smaller image or model, keep --${options.maxMegapixels.flag[0]} and --${options.memoryLimit.flag[0]} at their defaults, ` +
    `or give Node a larger heap: NODE_OPTIONS=--max-old-space-size=${Math.max(heap * 2, 4096)}`
  );
}

/** Runs this script again with `args` in a child and resolves with the exit code to leave with. */
export function superviseSelf(args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...explainHeapFlags, ...process.execArgv, process.argv[1], ...args], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD]: '1' },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward(s));
  let partial = '';
  let held: string | undefined;
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (held !== undefined) return void (held += d);
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    const at = lines.findIndex((l) => lastWords.test(l));
    const pass = at < 0 ? lines : lines.slice(0, at);
    while (at >= 0 && pass.length && !pass[pass.length - 1].trim()) pass.pop(); // V8's blank line before its log
    if (pass.length) process.stderr.write(pass.join('\n') + '\n');
    if (at >= 0) held = lines.slice(at).join('\n') + '\n' + partial;
  });
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`cnn-fixations: cannot start its worker process (${e.message})\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      const rest = (held ?? '') + partial;
      if (heapOutOfMemory.test(rest)) {
        process.stderr.write(outOfMemoryLine() + '\n');
        return resolve(1);
      }
      if (rest) process.stderr.write(rest);
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}
