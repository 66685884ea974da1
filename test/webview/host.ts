// A real host for the standalone panel: it answers the webview's messages (src/shared/protocol.ts) with
// the real pipeline (Explainer on an ONNX model in onnxruntime-node, payloads from src/panels/payload.ts),
// without VS Code. The Chromium tests bridge it to the page with Playwright bindings; the development
// server (run.mjs --serve) over HTTP. It mirrors what the extension's panel does, not how.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Explainer, type ExplainOptions, type Explanation } from '../../src/explain';
import { encodePng, renderOverlayPng } from '../../src/heatmap/render';
import { Activations } from '../../src/engine/activations';
import { layerDetail, modelSummary, panelExplanation } from '../../src/engine/payload';
import { renderHtmlReport } from '../../src/report/html';
import type { ErrorMessage, ExportKind, FromWebview, LayerDetail, PanelState, RunSettings, ToWebview } from '../../src/shared/protocol';
import { UnsupportedError } from '../../src/unravel/types';

export interface DevHostOptions {
  readonly model: string;
  readonly image: string;
  readonly labels?: readonly string[];
  readonly options?: ExplainOptions;
  /** Where exports are written. */
  readonly exportDir: string;
}

type Post = (message: ToWebview) => void | Promise<void>;

const mimes: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.bmp': 'image/bmp', '.webp': 'image/webp' };

/** Checks a message from the webview; the webview is not trusted more than any other input. */
export function parseFromWebview(raw: unknown): FromWebview {
  const m = raw as Record<string, unknown> | null;
  const int = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (!m || typeof m !== 'object' || typeof m.type !== 'string') throw new TypeError('a message without a type');
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'explainClass':
      if (!int(m.classIndex)) throw new TypeError('explainClass needs a class index');
      return { type: 'explainClass', classIndex: m.classIndex as number };
    case 'compare':
      if (m.classIndex !== undefined && !int(m.classIndex)) throw new TypeError('compare needs a class index or nothing');
      return { type: 'compare', classIndex: m.classIndex as number | undefined };
    case 'selectLayer':
      if (!int(m.layerIndex) || (m.channel !== undefined && !int(m.channel))) throw new TypeError('selectLayer needs a layer index (and optionally a channel)');
      return { type: 'selectLayer', layerIndex: m.layerIndex as number, ...(m.channel !== undefined ? { channel: m.channel as number } : {}) };
    case 'export': {
      const o = m.overlay as Record<string, unknown> | undefined;
      if (!['png', 'json', 'html'].includes(m.kind as string) || !o || typeof o.opacity !== 'number' || o.opacity < 0 || o.opacity > 1) throw new TypeError('export needs a kind and the overlay options');
      return { type: 'export', kind: m.kind as ExportKind, overlay: { heat: o.heat === true, points: o.points === true, box: o.box === true, opacity: o.opacity } };
    }
    case 'rerun':
      return { type: 'rerun', settings: (m.settings ?? {}) as RunSettings };
    default:
      throw new TypeError(`unknown message type '${m.type}'`);
  }
}

/** An exception as the panel shows it: what failed, the message, the node at fault, what to do. */
export function errorMessage(title: string, e: unknown): ErrorMessage {
  if (e instanceof UnsupportedError) {
    return { type: 'error', title, message: e.message, node: e.nodeName, hint: `The walk has no backtrack rule for ${e.opType} here. Explain another model, or add a rule in src/unravel/rules/.` };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { type: 'error', title, message, hint: 'Check the model and image paths and the run settings, then run again.' };
}

export class DevHost {
  /** Every message the webview sent, in order (tests assert on it). */
  readonly received: FromWebview[] = [];
  readonly exported: string[] = [];
  lastLayer: LayerDetail | undefined;
  private explainer: Explainer | undefined;
  private activations: Activations | undefined;
  /** The explained and the compared class, as last sent (tests read their heat maps). */
  main: Explanation | undefined;
  compare: Explanation | undefined;
  private settings: ExplainOptions;

  constructor(
    private opts: DevHostOptions,
    private readonly post: Post,
  ) {
    this.settings = { ...opts.options, labels: opts.labels };
  }

  /** Back to a fresh host for another model or image (the next `ready` runs it). */
  open(opts: DevHostOptions): void {
    this.opts = opts;
    this.settings = { ...opts.options, labels: opts.labels };
    this.explainer = this.main = this.compare = this.activations = undefined;
    this.lastLayer = undefined;
  }

  /** Back to the top-1 class, nothing compared; keeps the forward pass. */
  reset(): void {
    this.main = this.explainer?.explain();
    this.compare = undefined;
    this.received.length = 0;
  }

  /** Forgets the compared class, as a host that kept only the main class would. */
  forgetCompare(): void {
    this.compare = undefined;
  }

  async handle(raw: unknown): Promise<void> {
    let m: FromWebview;
    try {
      m = parseFromWebview(raw);
    } catch (e) {
      return void (await this.post(errorMessage('The panel sent a message the host does not understand', e)));
    }
    this.received.push(m);
    switch (m.type) {
      case 'ready':
        return this.run(this.main?.json.target.index, this.compare?.json.target.index);
      case 'explainClass':
        return this.guard(`Cannot explain class ${m.classIndex}`, async () => {
          this.main = this.need().explain(m.classIndex);
          await this.post({ type: 'showClass', side: 'main', explanation: panelExplanation(this.main), state: this.state() });
        });
      case 'compare':
        return this.guard(`Cannot compare with class ${m.classIndex}`, async () => {
          this.compare = m.classIndex === undefined ? undefined : this.need().explain(m.classIndex);
          await this.post({ type: 'showClass', side: 'compare', explanation: this.compare && panelExplanation(this.compare), state: this.state() });
        });
      case 'selectLayer':
        return this.guard(`Cannot show layer ${m.layerIndex}`, async () => {
          const e = this.need();
          const x = this.main!;
          // Activation values as the extension's panel gets them: kept, or from one inspection run;
          // quantized tensors dequantized. A failed inspection run still shows the layer, with a note.
          const tensor = x.unravel.layers[m.layerIndex]?.tensor;
          this.activations ??= new Activations(e);
          let note: string | undefined;
          if (tensor !== undefined) await this.activations.prepare(tensor).catch((err: Error) => (note = `activations unavailable: ${err.message}`));
          const detail = layerDetail(e, x, m.layerIndex, x.json.target.index, m.channel, await this.activations.lookup());
          this.lastLayer = note && !detail.activation ? { ...detail, activationNote: note } : detail;
          await this.post({ type: 'showLayer', detail: this.lastLayer });
        });
      case 'export':
        return this.guard(`Cannot export the ${m.kind}`, async () => {
          const file = await this.export(m.kind, m.overlay);
          this.exported.push(file);
          await this.post({ type: 'exported', kind: m.kind, path: file });
        });
      case 'rerun': {
        const s = m.settings ?? {};
        this.settings = { ...this.settings, ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) };
        this.explainer = this.activations = undefined;
        return this.run(this.main?.json.target.index, this.compare?.json.target.index);
      }
    }
  }

  private need(): Explainer {
    if (!this.explainer || !this.main) throw new Error('nothing is explained yet: the panel must send ready first');
    return this.explainer;
  }

  private state(): PanelState {
    return { modelPath: this.opts.model, imagePath: this.opts.image, classIndex: this.main?.json.target.index ?? 0, compareIndex: this.compare?.json.target.index };
  }

  private async guard(title: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      await this.post(errorMessage(title, e));
    }
  }

  /** Runs (or reuses) the forward pass and sends the whole result. */
  private async run(classIndex: number | undefined, compareIndex: number | undefined): Promise<void> {
    const { model, image } = this.opts;
    await this.post({ type: 'busy', busy: true, label: this.explainer ? 'Explaining…' : `Running ${path.basename(model)}…` });
    try {
      await this.guard(`Cannot explain ${path.basename(image)} with ${path.basename(model)}`, async () => {
        this.explainer ??= await Explainer.create(model, { image }, this.settings);
        const e = this.explainer;
        this.main = e.explain(classIndex !== undefined && classIndex < e.classCount ? classIndex : undefined);
        this.compare = compareIndex !== undefined && compareIndex < e.classCount ? e.explain(compareIndex) : undefined;
        const bytes = fs.readFileSync(image);
        await this.post({
          type: 'showResult',
          model: modelSummary(e),
          image: { mime: mimes[path.extname(image).toLowerCase()] ?? 'application/octet-stream', bytes: new Uint8Array(bytes), width: e.picture.width, height: e.picture.height, name: path.basename(image) },
          classCount: e.classCount,
          labels: e.labels,
          main: panelExplanation(this.main),
          compare: this.compare && panelExplanation(this.compare),
          state: this.state(),
        });
      });
    } finally {
      await this.post({ type: 'busy', busy: false });
    }
  }

  private async export(kind: ExportKind, overlay: { heat: boolean; points: boolean; box: boolean; opacity: number }): Promise<string> {
    const e = this.need(), x = this.main!;
    fs.mkdirSync(this.opts.exportDir, { recursive: true });
    const stem = `class-${x.json.target.index}`;
    const file = path.join(this.opts.exportDir, `${stem}.${kind}`);
    const png = () => renderOverlayPng(e.picture, x.heat, x.keptPoints, x.box, overlay);
    if (kind === 'json') fs.writeFileSync(file, JSON.stringify(x.json, null, 1) + '\n');
    else if (kind === 'png') fs.writeFileSync(file, await png());
    else fs.writeFileSync(file, renderHtmlReport(x.json, await png(), await encodePng(e.picture.width, e.picture.height, e.picture.rgba)));
    return file;
  }
}
