// The extension host's side of the engine: forks dist/engine.js on first use, matches replies to requests
// by id, and survives the engine's death. A crash rejects what was pending with an EngineError and the
// next request starts a new engine; handles (explanations held by the old engine) become stale, so their
// owners open them again. Cancelling a request kills the engine: the only way to stop a native
// onnxruntime run. Loads nothing of the pipeline (types only), so the host stays light.
// The requests themselves (EngineApi) do not depend on the process: src/engine/inprocess.ts answers the
// same ones in the caller's process (the panel's browser tests and development page).
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OverlayOptions } from '../shared/overlay';
import type { ClassRequest, ExportKind, Side } from '../shared/protocol';
import { nativeBindingProblem } from './native';
import { explainHeapFlags } from './heap';
import type { CrashKind, EngineFailure, EngineRequest, EngineResponse, EngineStats, FromEngine, OpenedResponse, OpenRequest, Replies } from './protocol';

/** The engine process stopped (crashed, was killed to cancel a run, or is shut down) before answering. */
export class EngineError extends Error {
  constructor(
    message: string,
    /** True when the engine was stopped on purpose (another run was cancelled): asking again is safe. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The engine died of memory: V8's heap limit (it says so on stderr) or, likely, the system's OOM killer (SIGKILL from outside). */
export class EngineOutOfMemory extends EngineError {
  constructor(message: string) {
    super(message, false);
  }
}

/** The engine cannot start on this machine (no onnxruntime build for it in this install): retrying cannot help. */
export class EngineUnavailable extends EngineError {
  constructor(message: string) {
    super(message, false);
  }
}

/** The engine answered that the request failed: the failure (title, message, node, hint) as data. */
export class EngineFailed extends Error {
  constructor(readonly failure: EngineFailure) {
    super(failure.message);
  }
}

/** The explanation behind a handle is gone (the engine restarted since it was opened): open it again. */
export class StaleHandle extends Error {}

/** An explanation held by the engine, valid for the engine process (generation) that opened it. */
export interface EngineHandle {
  readonly id: number;
  readonly generation: number;
}

export interface RequestOptions {
  /** Aborting rejects with the signal's reason and kills the engine (stopping onnxruntime mid-run). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface EngineClientOptions {
  /** dist/engine.js. */
  readonly enginePath: string;
  readonly log?: (level: LogLevel, message: string) => void;
  /** Added to the engine's environment (tests: CNN_FIXATIONS_ENGINE_TEST=1). */
  readonly env?: Readonly<Record<string, string>>;
  /** Node's flags for the engine besides its heap settings (heap.ts): the host's own, such as inspector ports, must not reach it; the soak: --trace-gc. */
  readonly execArgv?: readonly string[];
}

export type OpenParams = Pick<OpenRequest, 'modelPath' | 'imagePath' | 'options' | Side>;

/** A request without its id (the transport numbers them), one member per request type. */
export type Body = EngineRequest extends infer R ? (R extends EngineRequest ? Omit<R, 'id'> : never) : never;

/** The error a failed reply stands for: a stale handle when the engine holds no such explanation, else the failure as data. */
export function failureError(f: EngineFailure): Error {
  return f.kind === 'no-handle' ? new StaleHandle(f.message) : new EngineFailed(f);
}

/** The reply of a request that succeeded, or the failure it reported, thrown. */
export function succeeded<R extends EngineResponse>(reply: R | Extract<EngineResponse, { type: 'failed' }>): R {
  if (reply.type === 'failed') throw failureError(reply.failure);
  return reply as R;
}

/**
 * The engine's requests as methods, one per request type. A subclass carries them: it numbers each one,
 * has it answered, and resolves to the reply or rejects with what failed; it says which handles are live.
 */
export abstract class EngineApi {
  /** Engines started so far; a handle is valid only for the generation that opened it. */
  abstract get generation(): number;
  abstract isCurrent(h: EngineHandle | undefined): boolean;
  protected abstract request<B extends Body>(body: B, o?: RequestOptions): Promise<Replies[B['type']]>;

  /** Runs the model on the image in the engine and explains; `handle` (the caller's id) names the result there. */
  async open(handle: number, params: OpenParams, o?: RequestOptions): Promise<OpenedResponse & { readonly handle: EngineHandle }> {
    const opened = await this.request({ type: 'open', handle, ...params }, o);
    // the generation of the engine that answered: the request started it if none was running
    return { ...opened, handle: { id: handle, generation: this.generation } };
  }

  explain(h: EngineHandle, side: Side, target: ClassRequest | undefined, o?: RequestOptions): Promise<Replies['explain']> {
    return this.onHandle(h, () => this.request({ type: 'explain', handle: h.id, side, target }, o));
  }

  layer(h: EngineHandle, layerIndex: number, channel: number | undefined, o?: RequestOptions): Promise<Replies['layer']> {
    return this.onHandle(h, () => this.request({ type: 'layer', handle: h.id, layerIndex, ...(channel === undefined ? {} : { channel }) }, o));
  }

  exportData(h: EngineHandle, kind: ExportKind, overlay: OverlayOptions, o?: RequestOptions): Promise<Replies['export']> {
    return this.onHandle(h, () => this.request({ type: 'export', handle: h.id, kind, overlay }, o));
  }

  /** Sweeps a labelled folder in the engine (see SweepRequest); aborting kills the engine and the sweep's workers. */
  sweep(params: Omit<Extract<Body, { type: 'sweep' }>, 'type'>, o?: RequestOptions): Promise<Replies['sweep']> {
    return this.request({ type: 'sweep', ...params }, o);
  }

  /** Forgets an explanation; a no-op when its engine is gone (and never starts one). */
  async release(h: EngineHandle | undefined): Promise<void> {
    if (!h || !this.isCurrent(h)) return;
    await this.request({ type: 'release', handle: h.id }).catch(() => undefined);
  }

  private onHandle<T>(h: EngineHandle, ask: () => Promise<T>): Promise<T> {
    if (!this.isCurrent(h)) return Promise.reject(new StaleHandle(`explanation ${h.id} was held by an engine that has stopped`));
    return ask();
  }
}

/** What V8 prints when the heap limit is reached (then it aborts, printing its native stack). The CLI's supervisor reads it too. */
export const heapOutOfMemory = /JavaScript heap out of memory|Reached heap limit|Fatal JavaScript out of memory|Fatal process out of memory/;

/** Why an engine that nobody stopped died, as the user should read it: out of memory when V8 said so or the kernel killed it. */
function deathError(why: string, said: string, heapExhausted: boolean, signal: NodeJS.Signals | null): EngineError {
  if (heapExhausted)
    return new EngineOutOfMemory(`the explanation engine ran out of memory (its JavaScript heap is full; ${why}); the next request restarts it`);
  if (signal === 'SIGKILL')
    return new EngineOutOfMemory(
      `the explanation engine was killed from outside (signal SIGKILL), most often by the system when memory runs out; the next request restarts it`,
    );
  return new EngineError(`the explanation engine stopped unexpectedly (${why}${said}); the next request restarts it`, false);
}

interface Pending {
  readonly child: ChildProcess;
  resolve(reply: unknown): void;
  reject(e: unknown): void;
  readonly onProgress?: (message: string) => void;
}

export class EngineClient extends EngineApi {
  private child: ChildProcess | undefined;
  private gen = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;
  private lastStats: EngineStats | undefined;
  /** The engine's last lines on stderr: the reason when it dies before it could say anything else. */
  private stderrTail: string[] = [];
  /** V8 said on stderr that the engine's heap is exhausted (its last words before the abort). */
  private heapExhausted = false;

  constructor(private readonly options: EngineClientOptions) {
    super();
  }

  /** The running engine's process id (undefined until the first request, and after it stopped). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  override get generation(): number {
    return this.gen;
  }

  /** The counters of the last reply (the engine's forward passes, inspection runs, sessions, handles). */
  get stats(): EngineStats | undefined {
    return this.lastStats;
  }

  override isCurrent(h: EngineHandle | undefined): boolean {
    return !!h && !!this.child && h.generation === this.gen;
  }

  /** Tests only: asks the engine to abort, run out of memory or hang (it does only with CNN_FIXATIONS_ENGINE_TEST=1 in its environment). */
  crash(how: CrashKind = 'abort', o?: RequestOptions): Promise<never> {
    return this.request({ type: 'crash', how }, o);
  }

  /** Kills the engine now: what it was doing stops, pending requests reject with a retryable EngineError. */
  cancelAll(): void {
    this.stop(new EngineError('the explanation engine was stopped to cancel a run; asking again starts a new one', true));
  }

  /** Deactivation: kills the engine; later requests fail. */
  dispose(): void {
    this.disposed = true;
    this.stop(new EngineError('the explanation engine is shut down (the extension is deactivating)', false));
  }

  protected override request<B extends Body>(body: B, o: RequestOptions = {}): Promise<Replies[B['type']]> {
    if (o.signal?.aborted) return Promise.reject(o.signal.reason);
    let child: ChildProcess;
    try {
      child = this.ensure();
    } catch (e) {
      return Promise.reject(e);
    }
    const id = this.nextId++;
    return new Promise<Replies[B['type']]>((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.settle(id)?.reject(o.signal!.reason);
        this.cancelAll();
      };
      const done = () => o.signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        child,
        resolve: (r) => (done(), resolve(r as Replies[B['type']])),
        reject: (e) => (done(), reject(e)),
        onProgress: o.onProgress,
      });
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const failed = (e: Error | null) => {
        if (e) this.settle(id)?.reject(new EngineError(`could not send '${body.type}' to the explanation engine: ${e.message}`, this.child !== child));
      };
      try {
        child.send({ ...body, id } as EngineRequest, failed);
      } catch (e) {
        failed(e as Error);
      }
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }

  private log(level: LogLevel, message: string): void {
    this.options.log?.(level, message);
  }

  private ensure(): ChildProcess {
    if (this.disposed) throw new EngineError('the explanation engine is shut down (the extension is deactivating)', false);
    if (this.child) return this.child;
    const file = this.options.enginePath;
    if (!fs.existsSync(file)) throw new EngineError(`the explanation engine ${file} is missing: run \`npm run build\`, or reinstall the extension`, false);
    // dist/engine.js loads onnxruntime-node from the extension's node_modules (a VSIX holds one target's native build)
    const problem = nativeBindingProblem(path.join(path.dirname(file), '..', 'node_modules', 'onnxruntime-node'), process.platform, process.arch);
    if (problem) throw new EngineUnavailable(problem);
    // None of the host's flags (inspector ports, VS Code's loaders) go to the engine: only its heap settings and the options'.
    const child = fork(file, [], {
      serialization: 'advanced',
      execArgv: [...explainHeapFlags, ...(this.options.execArgv ?? [])],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...this.options.env },
    });
    this.gen++;
    this.child = child;
    this.stderrTail = [];
    this.heapExhausted = false;
    child.on('message', (m: FromEngine) => this.onMessage(child, m));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', (e) => this.log('error', `engine process: ${e.message}`));
    // Read both pipes (a full pipe would block the engine); onnxruntime's own warnings land here.
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.lines(d, 'info'));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (child === this.child && heapOutOfMemory.test(d)) this.heapExhausted = true;
      this.stderrTail = [...this.stderrTail, ...d.split('\n').filter((l) => l.trim())].slice(-3);
      this.lines(d, 'warn');
    });
    return child;
  }

  private lines(text: string, level: LogLevel): void {
    for (const l of text.split('\n')) if (l.trim()) this.log(level, `engine: ${l}`);
  }

  private onMessage(child: ChildProcess, m: FromEngine): void {
    if (child !== this.child) return; // an engine already given up (killed to cancel)
    switch (m.type) {
      case 'started':
        this.log('info', `engine started: pid ${m.pid}, node ${m.node}`);
        return;
      case 'log':
        this.log(m.level, `engine: ${m.message}`);
        return;
      case 'progress':
        this.pending.get(m.id)?.onProgress?.(m.message);
        return;
      case 'failed': {
        const p = this.settle(m.id);
        if (m.failure.stack) this.log('error', `engine: ${m.failure.stack}`);
        p?.reject(failureError(m.failure));
        return;
      }
      case 'opened':
      case 'explained':
      case 'layerDetail':
      case 'exportData':
      case 'released':
      case 'swept':
        this.lastStats = m.stats;
        this.settle(m.id)?.resolve(m);
        return;
      default: {
        const never: never = m;
        this.log('warn', `engine sent an unknown message: ${JSON.stringify(never).slice(0, 200)}`);
      }
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return; // stopped on purpose: stop() already answered its requests
    this.child = undefined;
    const why = signal ? `signal ${signal}` : `exit code ${code}`;
    const said = this.stderrTail.length ? `: ${this.stderrTail[this.stderrTail.length - 1].trim().slice(0, 300)}` : '';
    this.log('error', `engine (pid ${child.pid}) stopped unexpectedly (${why})${said}`);
    this.rejectAll(child, deathError(why, said, this.heapExhausted, signal));
  }

  private stop(e: EngineError): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.log('info', `engine (pid ${child.pid}) stopped: ${e.message}`);
    this.rejectAll(child, e);
    child.kill('SIGKILL');
  }

  private rejectAll(child: ChildProcess, e: EngineError): void {
    for (const [id, p] of [...this.pending]) {
      if (p.child !== child) continue;
      this.pending.delete(id);
      p.reject(e);
    }
  }
}
