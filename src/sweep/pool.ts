// The workers of a sweep: N forked processes (dist/sweep-worker.js), each with its own onnxruntime session,
// fed from one queue so a slow image holds up only its own worker. They are started first (startPool), so
// they load onnxruntime and open the model while the coordinator scans the folder; run() then hands them the
// images. A worker that dies (a native crash in onnxruntime) costs the image it was on a line with the error;
// its other images go back in the queue and a new worker takes its place. Stopping kills the workers: what
// they were on is simply not written. At the end they are let go and waited for, so none outlives the sweep.
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExplainOptions } from '../explain';
import type { SweepItem } from './dataset';
import type { ItemResult, ListedBar } from './item';
import { mark } from './timeline';

export type ToWorker =
  | { readonly type: 'init'; readonly model: string; readonly options: ExplainOptions; readonly threads: number }
  | { readonly type: 'item'; readonly seq: number; readonly item: SweepItem; readonly bar: ListedBar };
export type FromWorker = { readonly type: 'line'; readonly seq: number } & ItemResult;

export interface PoolOptions {
  readonly workerPath: string;
  readonly jobs: number;
  readonly model: string;
  readonly options: ExplainOptions;
  /** onnxruntime's threads per worker's session. */
  readonly threads: number;
}

export interface RunHooks {
  /** Each line as it finishes (in finishing order). */
  onResult(r: ItemResult): void;
  /** The least mistake listed so far, sent with each image (item.ts: a mistake below it is not drawn). */
  bar?(): ListedBar;
}

export interface Pool {
  /**
   * Explains `items`; resolves when every item has its line, or when `signal` aborts (then the workers are
   * killed, pending items dropped). Once only.
   */
  run(items: readonly SweepItem[], hooks: RunHooks, signal?: AbortSignal): Promise<{ readonly stopped: boolean }>;
  /** Lets the workers exit (or kills them) and resolves when they have. */
  close(how?: 'end' | 'kill'): Promise<void>;
}

/** Images sent to a worker ahead of the one it works on, so it never waits for the next. */
const AHEAD = 1;
/** A worker let go at the end has this long to exit before it is killed. */
const EXIT_GRACE_MS = 5000;

/**
 * Node's flags for the workers: none (not the coordinator's either), unless CNN_FIXATIONS_WORKER_NODE_ARGS gives
 * some, a measuring aid like CNN_FIXATIONS_TIMELINE (README: `--cpu-prof --cpu-prof-dir=DIR` profiles each worker).
 */
const workerExecArgv = (): string[] => (process.env.CNN_FIXATIONS_WORKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

/** dist/sweep-worker.js beside the running bundle (dist/cli.js, dist/engine.js), or above compiled tests (out/src/sweep). */
export function defaultWorkerPath(): string {
  for (const dir of [__dirname, path.join(__dirname, '..', '..', '..', 'dist'), path.join(__dirname, '..', 'dist')]) {
    const file = path.join(dir, 'sweep-worker.js');
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`the sweep worker (dist/sweep-worker.js) is missing next to ${__dirname}: run \`npm run build\`, or reinstall cnn-fixations`);
}

interface Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly inFlight: { seq: number; item: SweepItem }[];
}

interface Job {
  readonly queue: { seq: number; item: SweepItem }[];
  left: number;
  readonly hooks: RunHooks;
  finish(stopped: boolean): void;
}

/** Forks `o.jobs` workers, which load onnxruntime and open the model before any image comes. */
export function startPool(o: PoolOptions): Pool {
  const workers = new Set<Worker>();
  const exits: Promise<void>[] = [];
  /** The images being explained: undefined before run() and after it ends. */
  let job: Job | undefined;
  let closed = false;

  const feed = (w: Worker) => {
    while (job && w.inFlight.length <= AHEAD && job.queue.length) {
      const next = job.queue.pop()!;
      w.inFlight.push(next);
      w.child.send({ type: 'item', ...next, bar: job.hooks.bar?.() ?? null } satisfies ToWorker);
    }
  };

  const spawn = () => {
    const child = fork(o.workerPath, [], { serialization: 'advanced', execArgv: workerExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const w: Worker = { child, exited: new Promise((resolve) => child.once('exit', () => resolve())), inFlight: [] };
    workers.add(w);
    exits.push(w.exited);
    mark(`worker ${child.pid} forked`);
    let answered = 0;
    child.on('message', (m: FromWorker) => {
      const j = job;
      if (!j) return;
      if (answered++ === 0) mark(`worker ${child.pid} first line`);
      const i = w.inFlight.findIndex((x) => x.seq === m.seq);
      if (i >= 0) w.inFlight.splice(i, 1);
      j.left--;
      j.hooks.onResult({ line: m.line, ...(m.pictures ? { pictures: m.pictures } : {}), ...(m.fatal ? { fatal: true as const } : {}) });
      if (job !== j) return; // that line stopped the sweep
      if (!j.left) return j.finish(false);
      feed(w);
    });
    child.on('exit', (code, sig) => {
      const j = job;
      if (!workers.delete(w) || closed || !j) return; // before run(), run() starts another in its place
      // The image it was on ends as a line with the error; the ones sent after it go back in the queue.
      const [on, ...rest] = w.inFlight;
      for (const r of rest.reverse()) j.queue.push(r);
      if (on) {
        j.left--;
        const why = sig ? `signal ${sig}` : `exit code ${code}`;
        j.hooks.onResult({
          line: { path: on.item.rel, sha256: null, expected: on.item.expected, correct: null, error: `the worker explaining this image stopped (${why})` },
        });
        if (job !== j) return;
        if (!j.left) return j.finish(false);
      }
      feed(spawn());
    });
    // An 'error' (the fork failed) is followed by 'exit' or leaves the worker out; the queue goes on with the others.
    child.on('error', () => undefined);
    child.send({ type: 'init', model: o.model, options: o.options, threads: o.threads } satisfies ToWorker);
    return w;
  };

  let ending: Promise<void> | undefined;
  const close = (how: 'end' | 'kill' = 'end'): Promise<void> => {
    if (how === 'end' && ending) return ending;
    closed = true;
    for (const { child } of workers) {
      if (how === 'kill') child.kill('SIGKILL');
      else if (child.connected) child.disconnect(); // the worker exits when its coordinator lets go (worker.ts)
    }
    const all = Promise.all(exits).then(() => undefined);
    if (how === 'kill') return all;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const { child } of workers) child.kill('SIGKILL');
        resolve(all);
      }, EXIT_GRACE_MS);
      timer.unref();
    });
    return (ending = Promise.race([all, late]).finally(() => clearTimeout(timer)));
  };

  for (let j = 0; j < o.jobs; j++) spawn();

  let ran = false;
  return {
    close,
    run(items, hooks, signal) {
      if (ran || closed) throw new Error('a sweep pool runs once');
      ran = true;
      return new Promise((resolve) => {
        let finished = false;
        const queue = items.map((item, seq) => ({ seq, item })).reverse(); // pop() takes them in order
        const onAbort = () => j.finish(true);
        const j: Job = {
          queue,
          left: items.length,
          hooks,
          finish(stopped) {
            if (finished) return;
            finished = true;
            mark('pool done');
            job = undefined; // late messages go nowhere; a worker that exits now is not replaced
            signal?.removeEventListener('abort', onAbort);
            if (stopped) void close('kill');
            resolve({ stopped });
          },
        };
        job = j;
        if (signal?.aborted) return j.finish(true);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!j.left) return j.finish(false);
        // Workers that died before the images came (none should) are replaced; more workers than images stay idle.
        for (let n = workers.size; n < Math.min(o.jobs, items.length); n++) spawn();
        for (const w of workers) feed(w);
      });
    },
  };
}
