// The workers of a sweep: N forked processes (dist/sweep-worker.js), each with its own onnxruntime session,
// fed from one queue so a slow image holds up only its own worker. They are started first (startPool), so
// they load onnxruntime and open the model while the coordinator scans the folder; run() then hands them the
// images. Images go out and lines come back in batches (BATCH): a message each way per image was ~0.4 ms of
// CPU an image between the two processes, about a tenth of a small model's sweep. A worker that dies (a native
// crash in onnxruntime) takes its unanswered batch with it: when that was one image, it gets a line with the
// error; when more, they go back in the queue to be explained one at a time, so the next death names its image.
// A new worker takes its place. Stopping kills the workers: what they were on is simply not written. Once every
// image has its line, the workers draw the listed mistakes' pictures (draw()), shared out among them. At the end
// they are let go and waited for, so none outlives the sweep.
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExplainOptions } from '../explain';
import type { Thumbnail } from '../report/sweep';
import type { SweepItem } from './dataset';
import type { ItemResult } from './item';
import type { SweepLine } from './record';
import { mark } from './timeline';

export type ToWorker =
  | { readonly type: 'init'; readonly model: string; readonly options: ExplainOptions; readonly threads: number }
  /** Images to explain, in order; the worker answers them in batches of up to BATCH, and whenever it has no image left. */
  | { readonly type: 'items'; readonly items: readonly Queued[] }
  /** A listed mistake's pictures to draw from its image under `root` (thumbnails.ts). */
  | { readonly type: 'draw'; readonly root: string; readonly line: SweepLine };
export type FromWorker =
  | { readonly type: 'lines'; readonly results: readonly Answered[] }
  /** The pictures of the mistake at `path`, or why there are none. */
  | { readonly type: 'drawn'; readonly path: string; readonly pictures: Thumbnail | string };

export interface Queued {
  readonly seq: number;
  readonly item: SweepItem;
}
export type Answered = { readonly seq: number } & ItemResult;

/** Lines a worker sends in one message; it holds up to twice as many images, so it never waits for the next. */
export const BATCH = 16;

export interface PoolOptions {
  readonly workerPath: string;
  readonly jobs: number;
  readonly model: string;
  readonly options: ExplainOptions;
  /** onnxruntime's threads per worker's session. */
  readonly threads: number;
}

export interface RunHooks {
  /** The lines of a batch as they come (in finishing order within a worker). */
  onResults(rs: readonly ItemResult[]): void;
}

export interface Pool {
  /**
   * Explains `items`; resolves when every item has its line, or when `signal` aborts (then the workers are
   * killed, pending items dropped). Once only.
   */
  run(items: readonly SweepItem[], hooks: RunHooks, signal?: AbortSignal): Promise<{ readonly stopped: boolean }>;
  /**
   * After run(): the pictures of these mistakes, drawn from their images under `root` by the workers, by path.
   * One whose worker died is left out (the finishing step draws it).
   */
  draw(root: string, lines: readonly SweepLine[]): Promise<Map<string, Thumbnail | string>>;
  /** Lets the workers exit (or kills them) and resolves when they have. */
  close(how?: 'end' | 'kill'): Promise<void>;
}

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
  readonly inFlight: Entry[];
}

/** An image in the queue; `alone` after a worker died with it among others: it goes to a worker by itself. */
type Entry = Queued & { readonly alone?: true };

interface Job {
  /** Popped from the end. */
  readonly queue: Entry[];
  left: number;
  readonly hooks: RunHooks;
  finish(stopped: boolean): void;
}

interface Drawing {
  readonly drawn: Map<string, Thumbnail | string>;
  /** Paths each worker still has to draw. */
  readonly owed: Map<Worker, Set<string>>;
  settle(): void;
}

/** Forks `o.jobs` workers, which load onnxruntime and open the model before any image comes. */
export function startPool(o: PoolOptions): Pool {
  const workers = new Set<Worker>();
  const exits: Promise<void>[] = [];
  /** The images being explained: undefined before run() and after it ends. */
  let job: Job | undefined;
  let closed = false;

  /**
   * Tops the worker up to 2 × BATCH images, at most its share of what is left (so the last images spread over
   * the workers); an image that must go alone goes only to a worker holding nothing.
   */
  const feed = (w: Worker) => {
    const q = job?.queue;
    if (!q?.length || w.inFlight.some((e) => e.alone)) return;
    const items: Entry[] = [];
    if (q[q.length - 1].alone) {
      if (!w.inFlight.length) items.push(q.pop()!);
    } else {
      const n = Math.min(2 * BATCH - w.inFlight.length, Math.ceil(q.length / Math.max(1, workers.size)));
      while (items.length < n && q.length && !q[q.length - 1].alone) items.push(q.pop()!);
    }
    if (!items.length) return;
    w.inFlight.push(...items);
    w.child.send({ type: 'items', items: items.map(({ seq, item }) => ({ seq, item })) } satisfies ToWorker);
  };

  let drawing: Drawing | undefined;

  const spawn = () => {
    const child = fork(o.workerPath, [], { serialization: 'advanced', execArgv: workerExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const w: Worker = { child, exited: new Promise((resolve) => child.once('exit', () => resolve())), inFlight: [] };
    workers.add(w);
    exits.push(w.exited);
    mark(`worker ${child.pid} forked`);
    let answered = 0;
    child.on('message', (m: FromWorker) => {
      if (m.type === 'drawn') {
        drawing?.drawn.set(m.path, m.pictures);
        drawing?.owed.get(w)?.delete(m.path);
        return drawing?.settle();
      }
      const j = job;
      if (!j) return;
      if (answered === 0) mark(`worker ${child.pid} first line`);
      answered += m.results.length;
      const answeredSeqs = new Set(m.results.map((r) => r.seq));
      const still = w.inFlight.filter((x) => !answeredSeqs.has(x.seq));
      w.inFlight.splice(0, w.inFlight.length, ...still);
      j.left -= m.results.length;
      j.hooks.onResults(m.results.map((r) => ({ line: r.line, ...(r.fatal ? { fatal: true as const } : {}) })));
      if (job !== j) return; // a line of it stopped the sweep
      if (!j.left) return j.finish(false);
      feed(w);
    });
    child.on('exit', (code, sig) => {
      if (drawing?.owed.delete(w)) drawing.settle(); // what it was to draw is drawn by the finishing step
      const j = job;
      if (!workers.delete(w) || closed || !j) return; // before run(), run() starts another in its place
      // One image unanswered: the worker died on it, and it ends as a line with the error. More: which one is
      // not known (the worker may have finished some, their lines not yet sent), so each is explained again alone.
      const on = w.inFlight.length === 1 ? w.inFlight[0] : undefined;
      if (!on) for (const r of w.inFlight.reverse()) j.queue.push({ seq: r.seq, item: r.item, alone: true });
      if (on) {
        j.left--;
        const why = sig ? `signal ${sig}` : `exit code ${code}`;
        j.hooks.onResults([
          {
            line: { path: on.item.rel, sha256: null, expected: on.item.expected, correct: null, error: `the worker explaining this image stopped (${why})` },
          },
        ]);
        if (job !== j) return;
        if (!j.left) return j.finish(false);
      }
      const fresh = spawn();
      feed(fresh);
      // The images it held may be left for the others, which may be waiting for more.
      for (const other of workers) feed(other);
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
    draw(root, lines) {
      const live = [...workers].filter((w) => w.child.connected);
      if (closed || job || drawing || !lines.length || !live.length) return Promise.resolve(new Map());
      return new Promise((resolve) => {
        const d: Drawing = {
          drawn: new Map(),
          owed: new Map(live.map((w) => [w, new Set<string>()])),
          settle() {
            if ([...d.owed.values()].some((o) => o.size)) return;
            drawing = undefined;
            resolve(d.drawn);
          },
        };
        drawing = d;
        lines.forEach((line, i) => {
          const w = live[i % live.length];
          d.owed.get(w)!.add(line.path);
          w.child.send({ type: 'draw', root, line } satisfies ToWorker);
        });
      });
    },
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
