// The workers of a sweep: N forked processes (dist/sweep-worker.js), each with its own onnxruntime session,
// fed from one queue so a slow image holds up only its own worker. A worker that dies (a native crash in
// onnxruntime) costs the image it was on a line with the error; its other images go back in the queue and
// a new worker takes its place. Stopping kills the workers: what they were on is simply not written.
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExplainOptions } from '../explain';
import type { SweepItem } from './dataset';
import type { ItemResult } from './item';

export type ToWorker =
  | { readonly type: 'init'; readonly model: string; readonly options: ExplainOptions; readonly threads: number }
  | { readonly type: 'item'; readonly seq: number; readonly item: SweepItem };
export type FromWorker = { readonly type: 'line'; readonly seq: number } & ItemResult;

export interface PoolOptions {
  readonly workerPath: string;
  readonly jobs: number;
  readonly model: string;
  readonly options: ExplainOptions;
  /** onnxruntime's threads per worker's session. */
  readonly threads: number;
}

/** Images sent to a worker ahead of the one it works on, so it never waits for the next. */
const AHEAD = 1;

/** dist/sweep-worker.js beside the running bundle (dist/cli.js, dist/engine.js), or above compiled tests (out/src/sweep). */
export function defaultWorkerPath(): string {
  for (const dir of [__dirname, path.join(__dirname, '..', '..', '..', 'dist'), path.join(__dirname, '..', 'dist')]) {
    const file = path.join(dir, 'sweep-worker.js');
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`the sweep worker (dist/sweep-worker.js) is missing next to ${__dirname}: run \`npm run build\`, or reinstall cnn-fixations`);
}

/**
 * Explains `items` on `jobs` workers; `onResult` gets each line as it finishes (in finishing order). Resolves
 * when every item has its line, or when `signal` aborts (then the workers are killed, pending items dropped).
 */
export function runPool(
  items: readonly SweepItem[],
  o: PoolOptions,
  onResult: (r: ItemResult) => void,
  signal?: AbortSignal,
): Promise<{ readonly stopped: boolean }> {
  const queue = items.map((item, seq) => ({ seq, item }));
  queue.reverse(); // pop() takes them in order
  let left = items.length;
  const workers = new Set<ChildProcess>();
  return new Promise((resolve) => {
    let finished = false;
    const finish = (stopped: boolean) => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      for (const w of workers) w.kill('SIGKILL');
      workers.clear();
      resolve({ stopped });
    };
    const onAbort = () => finish(true);
    if (signal?.aborted) return finish(true);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (!left) return finish(false);

    const start = () => {
      const child = fork(o.workerPath, [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.add(child);
      const inFlight: { seq: number; item: SweepItem }[] = [];
      const feed = () => {
        while (!finished && inFlight.length <= AHEAD && queue.length) {
          const next = queue.pop()!;
          inFlight.push(next);
          child.send({ type: 'item', ...next } satisfies ToWorker);
        }
      };
      child.on('message', (m: FromWorker) => {
        if (finished) return;
        const i = inFlight.findIndex((x) => x.seq === m.seq);
        if (i >= 0) inFlight.splice(i, 1);
        left--;
        onResult({ line: m.line, ...(m.pictures ? { pictures: m.pictures } : {}), ...(m.fatal ? { fatal: true as const } : {}) });
        if (!left) return finish(false);
        feed();
      });
      child.on('exit', (code, sig) => {
        if (finished || !workers.delete(child)) return;
        // The image it was on ends as a line with the error; the ones sent after it go back in the queue.
        const [on, ...rest] = inFlight;
        for (const r of rest.reverse()) queue.push(r);
        if (on) {
          left--;
          const why = sig ? `signal ${sig}` : `exit code ${code}`;
          onResult({
            line: { path: on.item.rel, sha256: null, expected: on.item.expected, correct: null, error: `the worker explaining this image stopped (${why})` },
          });
          if (!left) return finish(false);
        }
        start();
      });
      child.send({ type: 'init', model: o.model, options: o.options, threads: o.threads } satisfies ToWorker);
      feed();
    };
    for (let j = 0; j < Math.min(o.jobs, items.length); j++) start();
  });
}
