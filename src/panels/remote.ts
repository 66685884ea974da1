// A panel's explanation as the engine process holds it: the handle, what it was opened with (to open it
// again), and what came back (what the webview shows). When the engine restarted since (a crash, or killed
// to cancel another panel's run), the next request opens it there again first, transparently: one forward
// pass with the same model, image, settings and classes.
import { EngineError, StaleHandle, type EngineClient, type EngineHandle, type OpenParams, type RequestOptions } from '../engine/client';
import type { EngineStats, ExportRequest, OpenedResponse } from '../engine/protocol';
import type { LayerDetail, ModelSummary, PanelExplanation, PanelImage } from '../shared/protocol';

/** What an open sent back that stays the same across class switches. */
export interface Shown {
  readonly model: ModelSummary;
  readonly image: PanelImage;
  readonly classCount: number;
  readonly labels: readonly string[] | undefined;
}

export interface RemoteHooks {
  log(message: string): void;
  /** Work the user did not ask for is going on (reopening), or ended (undefined). */
  busy(label: string | undefined): void;
}

type Opened = OpenedResponse & { readonly handle: EngineHandle };

export class RemoteExplanation {
  /** Forward passes run for this panel (a class switch runs none; a reopen runs one). */
  forwardPasses = 0;
  private handle: EngineHandle | undefined;
  private params: OpenParams | undefined;
  private shownNow: Shown | undefined;
  private mainNow: PanelExplanation | undefined;
  private compareNow: PanelExplanation | undefined;

  constructor(
    private readonly engine: EngineClient,
    /** The handle's id in the engine (the panel's id). */
    private readonly id: number,
    private readonly hooks: RemoteHooks,
  ) {}

  get shown(): Shown | undefined {
    return this.shownNow;
  }
  get main(): PanelExplanation | undefined {
    return this.mainNow;
  }
  get compare(): PanelExplanation | undefined {
    return this.compareNow;
  }
  /** For tests: the handle in the engine (stale after the engine restarted). */
  get held(): EngineHandle | undefined {
    return this.handle;
  }

  /** A new forward pass in the engine, replacing what was shown; asked once more if the engine was stopped under it on purpose. */
  async open(params: OpenParams, o: RequestOptions): Promise<Opened> {
    let opened: Opened;
    try {
      opened = await this.engine.open(this.id, params, o);
    } catch (e) {
      if (!(e instanceof EngineError && e.retryable) || o.signal?.aborted) throw e;
      this.hooks.log(`${e.message}; asking again`);
      opened = await this.engine.open(this.id, params, o);
    }
    this.params = params;
    this.adopt(opened);
    return opened;
  }

  /** The open failed: the engine dropped what this handle held when the open began (or the engine is gone). */
  clear(): void {
    this.handle = this.shownNow = this.mainNow = this.compareNow = undefined;
  }

  /** Another class from the kept forward pass; undefined clears the compare side. */
  async explain(side: 'main' | 'compare', classIndex: number | undefined): Promise<PanelExplanation | undefined> {
    const r = await this.ask((h) => this.engine.explain(h, side, classIndex));
    if (side === 'main') this.mainNow = r.explanation;
    else this.compareNow = r.explanation;
    return r.explanation;
  }

  async layer(layerIndex: number, channel: number | undefined): Promise<{ detail: LayerDetail; inspected: boolean; stats: EngineStats }> {
    return this.ask((h) => this.engine.layer(h, layerIndex, channel));
  }

  exportData(kind: ExportRequest['kind'], overlay: ExportRequest['overlay']) {
    return this.ask((h) => this.engine.exportData(h, kind, overlay));
  }

  /** Forgets the explanation in the engine (never starts one to do so). */
  release(): void {
    void this.engine.release(this.handle);
    this.clear();
  }

  private async ask<T>(request: (h: EngineHandle) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.engine.isCurrent(this.handle)) await this.reopen();
        return await request(this.handle!);
      } catch (e) {
        const again = e instanceof StaleHandle || (e instanceof EngineError && e.retryable);
        if (!again || attempt > 0) throw e;
        this.handle = undefined;
      }
    }
  }

  private async reopen(): Promise<void> {
    if (!this.params) throw new StaleHandle('this panel has nothing to explain again');
    this.hooks.log('the engine restarted since this panel was explained; running the model there again');
    this.hooks.busy('Restoring the explanation (the engine restarted)…');
    try {
      const o = await this.engine.open(this.id, { ...this.params, classIndex: this.mainNow?.result.target.index, compareIndex: this.compareNow?.result.target.index });
      this.adopt(o);
    } finally {
      this.hooks.busy(undefined);
    }
  }

  private adopt(o: Opened): void {
    this.forwardPasses += o.forwardPasses;
    this.handle = o.handle;
    this.shownNow = { model: o.model, image: o.image, classCount: o.classCount, labels: o.labels };
    this.mainNow = o.main;
    this.compareNow = o.compare;
  }
}
