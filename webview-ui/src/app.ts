// The panel: holds what the host sent and what the user chose, routes host messages through one handler
// map keyed by `type`, and turns the views' requests into messages to the host.
import { tensorGrid } from '../../src/shared/layout';
import type { OverlayOptions } from '../../src/shared/overlay';
import type { ExportKind, FromWebview, Side, ToWebview } from '../../src/shared/protocol';
import type { FormSettings } from '../../src/shared/settings';
import type { LayerJson } from '../../src/shared/result';
import type { Actions } from './actions';
import { decodePhoto } from './draw/photo';
import { h } from './dom';
import { restoreView, type HostData, type TabId, type ViewState } from './state';
import type { HostBridge } from './vscodeApi';
import { Banner } from './views/banner';
import { ClassPicker } from './views/classPicker';
import { Header } from './views/header';
import { LayerDetailView } from './views/layerDetail';
import { LayerList } from './views/layers';
import { ModelView } from './views/model';
import { Predictions } from './views/predictions';
import { SettingsView } from './views/settings';
import { Tabs } from './views/tabs';
import { Viewer } from './views/viewer';

type Handlers = { readonly [K in ToWebview['type']]: (message: Extract<ToWebview, { type: K }>) => void };

/** A message to the host before it gets its id. */
type Request = FromWebview extends infer M ? (M extends FromWebview ? Omit<M, 'id'> : never) : never;

/**
 * What a reply updates: a side of the overlay, or the layer drill-down. Each request claims the slots its reply
 * always updates; a reply updates a slot unless a newer request has claimed it (that one's reply will update it).
 */
type Slot = Side | 'layer';

const exportNames: Record<ExportKind, string> = { png: 'overlay PNG', json: 'JSON', html: 'HTML report' };

/** The layer to open by default: the first one (from the output) with a spatial grid, e.g. the last conv block. */
export function defaultLayer(layers: readonly LayerJson[]): number | undefined {
  const i = layers.findIndex((l) => {
    const g = tensorGrid(l.shape);
    return g.h * g.w > 1;
  });
  return i >= 0 ? i : layers.length ? 0 : undefined;
}

export class App implements Actions {
  private data: HostData | undefined;
  private view: ViewState;
  private photoToken = 0;
  private restoring = true;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  /** The id of the latest request per slot: a reply to an older one is stale (the user asked for something else since). */
  private readonly latest: Record<Slot, number> = { main: 0, compare: 0, contrast: 0, layer: 0 };
  private readonly waitingNote = h('p', { class: 'waiting-note', text: 'Waiting for the explanation…' });

  private readonly header = new Header(this);
  private readonly banner = new Banner(
    () => this.dismissError(),
    () => this.rerun(undefined),
  );
  private readonly viewer = new Viewer(this);
  private readonly predictions = new Predictions(this);
  private readonly picker = new ClassPicker(this);
  private readonly layerList = new LayerList(this);
  private readonly layerDetail = new LayerDetailView(this);
  private readonly modelView = new ModelView();
  private readonly settings = new SettingsView(this);
  private readonly tabs = new Tabs<TabId>(
    [
      ['layers', 'Layers', h('div', { class: 'layers-split' }, this.layerList.el, this.layerDetail.el)],
      ['model', 'Model', this.modelView.el],
      ['settings', 'Settings & timings', this.settings.el],
    ],
    (id) => this.setTab(id),
  );

  readonly handlers: Handlers = {
    showResult: (m) => {
      const first = this.restoring;
      this.restoring = false;
      this.data = {
        model: m.model,
        image: m.image,
        classCount: m.classCount,
        labels: m.labels,
        main: m.main,
        compare: m.compare,
        contrast: m.contrast,
        hostState: m.state,
        layer: undefined,
      };
      this.save({});
      this.banner.showError(undefined);
      this.banner.showWarnings(m.model.warnings);
      this.loadPhoto();
      // A host that lost what the panel showed (an older record after a reload) is asked for it again from the view's own state.
      const v = this.view,
        a = m.main.result.target.index;
      const ask = (k: number | undefined): k is number => first && k !== undefined && k < m.classCount && k !== a;
      if (m.contrast) this.save({ versusIndex: m.contrast.result.settings.versus ?? undefined, compareIndex: m.compare?.result.target.index });
      else if (ask(v.versusIndex)) this.whyNot(v.versusIndex);
      else if (m.compare) this.save({ versusIndex: undefined, compareIndex: m.compare.result.target.index });
      else if (ask(v.compareIndex)) this.post({ type: 'compare', classIndex: v.compareIndex }, 'compare');
      else this.save({ versusIndex: undefined, compareIndex: undefined });
      this.layerDetail.clear();
      this.renderAll();
      this.openLayer(true);
    },
    showClass: (m) => {
      const d = this.data;
      const fresh = m.sides.filter((s) => m.id >= this.latest[s.side]);
      if (!d || !fresh.length) return;
      d.hostState = m.state;
      let mainChanged = false;
      for (const { side, explanation } of fresh) {
        if (side !== 'main') d[side] = explanation;
        else if (explanation) {
          d.main = explanation;
          d.layer = undefined;
          mainChanged = true;
        }
      }
      this.save({ compareIndex: d.compare?.result.target.index, versusIndex: d.contrast?.result.settings.versus ?? undefined });
      this.renderAll();
      if (mainChanged) this.openLayer(false);
    },
    showLayer: (m) => {
      const d = this.data;
      // A reply to a layer request that a newer one replaced (another layer, channel or class since) is dropped.
      if (!d || m.id !== this.latest.layer) return;
      d.layer = m.detail;
      this.save({ layerIndex: m.detail.layerIndex, layerTensor: m.detail.tensor, channel: m.detail.channel });
      this.layerList.update(d, this.view.layerFilter, m.detail.layerIndex);
      this.layerDetail.render(m.detail, d.main.result.layers[m.detail.layerIndex]);
    },
    busy: (m) => this.setBusy(m.busy, m.label),
    error: (m) => {
      this.setBusy(false, undefined);
      this.banner.showError(m);
      if (!this.data) {
        this.header.nothing();
        this.waitingNote.textContent = 'Nothing to show until the problem above is fixed.';
      }
    },
    exported: (m) => {
      this.banner.toast(`Saved the ${exportNames[m.kind] ?? m.kind} to ${m.path}`);
      clearTimeout(this.toastTimer);
      this.toastTimer = setTimeout(() => this.banner.toast(undefined), 8000);
    },
  };

  constructor(
    private readonly root: HTMLElement,
    private readonly bridge: HostBridge,
  ) {
    this.view = restoreView(bridge.getState());
    root.classList.add('cnnf', 'waiting');
    root.replaceChildren(
      this.header.el,
      h('div', { class: 'progress', attrs: { 'aria-hidden': 'true' } }, h('div', { class: 'progress-bar' })),
      this.banner.el,
      this.waitingNote,
      h('main', { class: 'layout' }, this.viewer.el, h('aside', { class: 'side' }, this.predictions.el, this.picker.el)),
      this.tabs.el,
    );
    this.renderAll();
  }

  /** Routes one message from the host; anything that is not a known message is ignored. */
  receive(message: unknown): void {
    if (!message || typeof message !== 'object') return;
    const type = (message as { type?: unknown }).type;
    if (typeof type !== 'string' || !Object.hasOwn(this.handlers, type)) return;
    (this.handlers[type as ToWebview['type']] as (m: ToWebview) => void)(message as ToWebview);
  }

  // ---- actions (from the views) --------------------------------------------------------------------

  explainClass(classIndex: number): void {
    this.post({ type: 'explainClass', classIndex }, 'main');
  }

  compare(classIndex: number | undefined): void {
    // Stopping shows at once (the "why not" view goes with its compared class); the host confirms.
    if (classIndex === undefined) this.clearSides('compare', 'contrast');
    this.post({ type: 'compare', classIndex }, 'compare');
  }

  whyNot(classIndex: number | undefined): void {
    if (classIndex === undefined) this.clearSides('compare', 'contrast');
    this.post({ type: 'whyNot', classIndex }, 'compare', 'contrast');
  }

  selectLayer(layerIndex: number, channel?: number): void {
    const layers = this.data?.main.result.layers;
    if (!layers || layerIndex < 0 || layerIndex >= layers.length) return;
    this.save({ layerIndex, layerTensor: layers[layerIndex].tensor, channel });
    this.layerList.update(this.data, this.view.layerFilter, layerIndex);
    this.layerDetail.loading(layerIndex, layers[layerIndex]);
    this.post(channel === undefined ? { type: 'selectLayer', layerIndex } : { type: 'selectLayer', layerIndex, channel }, 'layer');
  }

  exportAs(kind: ExportKind): void {
    this.post({ type: 'export', kind, overlay: { ...this.view.overlay } });
  }

  rerun(settings: FormSettings | undefined): void {
    // Its answer replaces the whole result: replies to what was asked before it are stale.
    this.post(settings ? { type: 'rerun', settings } : { type: 'rerun' }, 'main', 'compare', 'contrast', 'layer');
  }

  setOverlay(change: Partial<OverlayOptions>): void {
    this.save({ overlay: { ...this.view.overlay, ...change } });
    this.viewer.update(this.data, this.view.overlay);
  }

  setTab(tab: TabId): void {
    this.save({ tab });
    this.tabs.select(tab);
  }

  setLayerFilter(layerFilter: string): void {
    this.save({ layerFilter });
    this.layerList.update(this.data, layerFilter, this.data?.layer?.layerIndex ?? this.view.layerIndex);
  }

  dismissError(): void {
    this.banner.showError(undefined);
  }

  // ---- internals -----------------------------------------------------------------------------------

  /** Says the webview is there: the host answers with what it holds (the whole result). */
  ready(): void {
    this.post({ type: 'ready' }, 'main', 'compare', 'contrast', 'layer');
  }

  /** Sides the user closed go at once; the host's reply confirms it. */
  private clearSides(...sides: Exclude<Side, 'main'>[]): void {
    const d = this.data;
    if (!d) return;
    for (const s of sides) d[s] = undefined;
    this.save({ compareIndex: d.compare?.result.target.index, versusIndex: d.contrast ? this.view.versusIndex : undefined });
    this.renderAll();
  }

  /** Sends a request with the next id, recorded as the latest for the slots its reply updates. */
  private post(message: Request, ...slots: Slot[]): void {
    const id = this.nextId++;
    for (const s of slots) this.latest[s] = id;
    this.bridge.post({ ...message, id } as FromWebview);
  }

  /** Saves the view, and the host's last PanelState under `host`: what the serializer reopens after a reload. */
  private save(change: Partial<ViewState>): void {
    this.view = { ...this.view, ...change };
    this.bridge.setState({ ...this.view, host: this.data?.hostState });
  }

  private setBusy(busy: boolean, label: string | undefined): void {
    this.root.classList.toggle('busy', busy);
    this.root.setAttribute('aria-busy', String(busy));
    this.header.busy(busy, label);
  }

  /** Opens the remembered layer (by tensor name, as indices differ between classes), else the default one. */
  private openLayer(keepChannel: boolean): void {
    const layers = this.data?.main.result.layers ?? [];
    const v = this.view;
    const byTensor = v.layerTensor !== undefined ? layers.findIndex((l) => l.tensor === v.layerTensor) : -1;
    const index = byTensor >= 0 ? byTensor : v.layerIndex !== undefined && v.layerIndex < layers.length ? v.layerIndex : defaultLayer(layers);
    if (index === undefined) return this.layerDetail.clear('This walk has no layers.');
    const sameLayer = byTensor >= 0 && byTensor === index;
    this.selectLayer(index, keepChannel && sameLayer ? v.channel : undefined);
  }

  private loadPhoto(): void {
    const image = this.data?.image;
    if (!image) return;
    const token = ++this.photoToken;
    decodePhoto(image).then(
      (photo) => {
        if (token !== this.photoToken) return;
        this.viewer.setPhoto(photo);
        this.layerDetail.setPhoto(photo);
      },
      (e: unknown) =>
        this.banner.showError({
          type: 'error',
          title: 'Cannot show the image',
          message: (e as Error).message,
          hint: 'The explanation is still valid; export the overlay PNG to see it.',
        }),
    );
  }

  private renderAll(): void {
    const d = this.data;
    this.root.classList.toggle('waiting', !d);
    this.header.update(d);
    this.viewer.update(d, this.view.overlay);
    this.predictions.update(d);
    this.picker.update(d);
    this.layerList.update(d, this.view.layerFilter, d?.layer?.layerIndex ?? this.view.layerIndex);
    this.modelView.update(d?.model);
    this.settings.update(d?.main.result, d?.hostState);
    this.tabs.label('layers', d ? `Layers (${d.main.result.layers.length})` : 'Layers');
    this.tabs.select(this.view.tab);
  }
}
