// The engine's state and its answers, apart from the process plumbing (main.ts): one session cache (a
// model file opens once), and per handle (one per panel) the Explainer with its kept forward pass, the
// explained classes (one per side the panel shows) and the lazily made inspection run. A class switch reuses
// the forward pass.
// The same class answers in the caller's process too (inprocess.ts).
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Explainer, type Explanation } from '../explain';
import { encodePng } from '../heatmap/render';
import { bytes, exportRenderer } from '../report/exports';
import { SessionCache, type OpenModel } from '../runtime/session';
import { progressText } from '../sweep/progress';
import { defaultJobs, runSweep } from '../sweep/run';
import type { ClassRequest, PanelImage } from '../shared/protocol';
import { Activations } from './activations';
import { NoHandle, Refused, toFailure } from './failure';
import { layerDetail, modelSummary, panelExplanation } from './payload';
import type {
  CrashKind,
  EngineRequest,
  EngineResponse,
  EngineStats,
  ExplainRequest,
  ExportRequest,
  LayerRequest,
  OpenRequest,
  ExplainedResponse,
  ExportResponse,
  SweepRequest,
  SweptResponse,
  LayerResponse,
  OpenedResponse,
} from './protocol';

interface Held {
  readonly explainer: Explainer;
  /** The explained class: what layer details and exports are of. */
  main: Explanation;
  compare: Explanation | undefined;
  /** The explained class against the compared one ("Why A, not B?"). */
  contrast: Explanation | undefined;
  readonly activations: Activations;
}

export interface EngineHooks {
  log(level: 'info' | 'warn' | 'error', message: string): void;
  progress(id: number, message: string): void;
  /** The test-only faults (main.ts: a real abort, out-of-memory or hang); undefined refuses them. */
  crash?: (how: CrashKind) => never;
}

/** Image types webviews decode themselves: their bytes go as they are; other files go as a PNG of the decoded pixels. */
const mimes: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.bmp': 'image/bmp' };

const ms = (t0: number) => (performance.now() - t0).toFixed(0);

/** Class `t` (default: the top-1) explained with its per-class options over the run's. */
function explainClass(e: Explainer, t: ClassRequest | undefined): Explanation {
  if (!t) return e.explain();
  const { classIndex, ...options } = t;
  return e.explain(classIndex, options);
}

export class Engine {
  private readonly cache = new SessionCache();
  private readonly held = new Map<number, Held>();
  private forwardPasses = 0;
  private inspectionRuns = 0;
  /** The models this engine's cache has handed out: a model not among them was opened by the request that got it. */
  private readonly models = new WeakSet<OpenModel>();
  private sessionsOpened = 0;

  constructor(private readonly hooks: EngineHooks) {}

  stats(): EngineStats {
    return {
      pid: process.pid,
      forwardPasses: this.forwardPasses,
      inspectionRuns: this.inspectionRuns,
      sessionsOpened: this.sessionsOpened,
      handles: this.held.size,
    };
  }

  /** Answers one request: its reply, or what failed as a FailedResponse (main.ts sends it to the host as it is). */
  async answer(r: EngineRequest): Promise<EngineResponse> {
    try {
      return await this.handle(r);
    } catch (e) {
      const failure = toFailure(e);
      if (failure.kind === 'unexpected') this.hooks.log('error', `${r.type} failed: ${failure.stack ?? failure.message}`);
      return { type: 'failed', id: r.id, failure };
    }
  }

  /** Answers one request; throws what failed. */
  private async handle(r: EngineRequest): Promise<EngineResponse> {
    switch (r.type) {
      case 'open':
        return this.open(r);
      case 'explain':
        return this.explain(r);
      case 'layer':
        return this.layer(r);
      case 'export':
        return this.export(r);
      case 'release':
        this.held.delete(r.handle);
        return { type: 'released', id: r.id, stats: this.stats() };
      case 'sweep':
        return this.sweep(r);
      case 'crash':
        if (!this.hooks.crash)
          throw new Refused('the crash request is for tests: the engine honours it only with CNN_FIXATIONS_ENGINE_TEST=1 in its environment');
        return this.hooks.crash(r.how ?? 'abort');
      default: {
        const never: never = r;
        throw new Refused(`unknown request ${JSON.stringify(never)}`);
      }
    }
  }

  async dispose(): Promise<void> {
    this.held.clear();
    await this.cache.dispose();
  }

  private need(handle: number): Held {
    const h = this.held.get(handle);
    if (!h) throw new NoHandle(handle);
    return h;
  }

  private async open(r: OpenRequest): Promise<OpenedResponse> {
    const t0 = performance.now();
    // Whatever this handle held goes: on failure the panel shows the error, not the old result.
    this.held.delete(r.handle);
    const name = `${path.basename(r.imagePath)} with ${path.basename(r.modelPath)}`;
    this.hooks.progress(r.id, `running ${path.basename(r.modelPath)}…`);
    const explainer = await Explainer.create(r.modelPath, { image: r.imagePath }, r.options, this.cache);
    const cached = this.models.has(explainer.model);
    if (!cached) {
      this.models.add(explainer.model);
      this.sessionsOpened++;
    }
    this.forwardPasses += explainer.views.length;
    this.hooks.progress(r.id, 'unravelling…');
    const main = explainClass(explainer, r.main);
    const compare = r.compare && explainClass(explainer, r.compare);
    const contrast = r.contrast && explainClass(explainer, r.contrast);
    const image = await panelImage(explainer, r.imagePath);
    this.held.set(r.handle, { explainer, main, compare, contrast, activations: new Activations(explainer) });
    const engineMs = performance.now() - t0;
    this.hooks.log('info', `${name}: session ${cached ? 'cached' : 'opened'}, open ${engineMs.toFixed(0)} ms in the engine`);
    return {
      type: 'opened',
      id: r.id,
      model: modelSummary(explainer),
      image,
      classCount: explainer.classCount,
      labels: explainer.labels,
      main: panelExplanation(main),
      compare: compare && panelExplanation(compare),
      contrast: contrast && panelExplanation(contrast),
      sessionCached: cached,
      forwardPasses: explainer.views.length,
      engineMs,
      stats: this.stats(),
    };
  }

  private explain(r: ExplainRequest): ExplainedResponse {
    const h = this.need(r.handle);
    if (r.side === 'main' && !r.target) throw new RangeError('the main side needs a class');
    const x = r.target && explainClass(h.explainer, r.target);
    if (r.side === 'main') h.main = x!;
    else h[r.side] = x;
    return { type: 'explained', id: r.id, side: r.side, explanation: x && panelExplanation(x), stats: this.stats() };
  }

  private async layer(r: LayerRequest): Promise<LayerResponse> {
    const h = this.need(r.handle);
    const layer = h.main.unravel.layers[r.layerIndex];
    if (!layer) throw new RangeError(`there is no layer ${r.layerIndex} (the walk has ${h.main.unravel.layers.length})`);
    const runs = h.activations.runs;
    let note: string | undefined;
    const t0 = performance.now();
    try {
      if (!h.activations.kept(layer.tensor)) this.hooks.progress(r.id, `running the inspection session for '${layer.tensor}'`);
      await h.activations.prepare(layer.tensor);
    } catch (e) {
      note = `activations unavailable: ${(e as Error).message}`;
      this.hooks.log('warn', note);
    }
    const inspected = h.activations.runs > runs;
    if (inspected) {
      this.inspectionRuns++;
      this.hooks.log('info', `inspection run for '${layer.tensor}' (every tensor on the walk's path): ${ms(t0)} ms`);
    }
    const detail = layerDetail(h.explainer, h.main, r.layerIndex, h.main.json.target.index, r.channel, await h.activations.lookup());
    return { type: 'layerDetail', id: r.id, detail: note && !detail.activation ? { ...detail, activationNote: note } : detail, inspected, stats: this.stats() };
  }

  /** A whole sweep here, its images on worker processes of this engine (dist/sweep-worker.js beside it). */
  private async sweep(r: SweepRequest): Promise<SweptResponse> {
    let shownAt = -Infinity;
    const t = await runSweep(
      { model: r.modelPath, dir: r.dir, out: r.out, options: r.options, jobs: r.jobs > 0 ? r.jobs : defaultJobs(), existing: 'resume-or-replace' },
      {
        progress: (p) => {
          const now = performance.now();
          if (now - shownAt < SWEEP_PROGRESS_MS && p.done < p.total) return;
          shownAt = now;
          this.hooks.progress(r.id, progressText(p));
        },
        log: (m) => this.hooks.log('info', `sweep: ${m}`),
        finishing: () => this.hooks.progress(r.id, 'drawing the mistakes…'),
      },
    );
    this.hooks.log('info', `sweep of ${r.dir}: ${t.progress.done} images in ${(t.progress.elapsedMs / 1000).toFixed(1)} s into ${r.out}`);
    // Without a stop signal the sweep runs to its end: cancelling kills this process.
    return { type: 'swept', id: r.id, out: r.out, summary: t.summary!, thumbs: t.thumbs, progress: t.progress, stats: this.stats() };
  }

  private async export(r: ExportRequest): Promise<ExportResponse> {
    const { explainer: e, main: x } = this.need(r.handle);
    const data = await exportRenderer(x, e.picture, r.overlay)(r.kind);
    return { type: 'exportData', id: r.id, kind: r.kind, data, stats: this.stats() };
  }
}

/** Progress events of a sweep at most this often (the notification cannot show more). */
const SWEEP_PROGRESS_MS = 250;

/** The image as the webview shows it: the file's bytes when browsers decode them, else a PNG of the decoded pixels. */
async function panelImage(e: Explainer, imagePath: string): Promise<PanelImage> {
  const { width, height } = e.picture;
  const name = path.basename(imagePath);
  const mime = mimes[path.extname(name).toLowerCase()];
  const data = mime ? await fsp.readFile(imagePath) : await encodePng(width, height, await e.picture.pixels());
  return { mime: mime ?? 'image/png', bytes: bytes(data), width, height, name };
}
