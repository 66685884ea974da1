// Where a panel's explanation lives: its handle in the engine and what it was opened with (to open it
// again). When the engine restarted since (a crash, or killed to cancel another panel's run), the next
// request opens it there again first, transparently: one forward pass with the same model, image and
// settings, and the classes the panel shows now on each side (the contrast of "Why A, not B?" too). What the panel shows is the controller's (controller.ts).
import { EngineError, StaleHandle, type EngineApi, type EngineHandle, type OpenParams, type RequestOptions } from '../engine/client';
import type { ExportRequest, LayerResponse, OpenedResponse } from '../engine/protocol';
import type { ClassRequest, PanelExplanation, Side } from '../shared/protocol';
import { PanelClosed } from './errors';

export interface RemoteHooks {
  log(message: string): void;
  /** Work the user did not ask for is going on (reopening), or ended (undefined). */
  busy(label: string | undefined): void;
  /** The classes the panel shows now, per side (what a reopen explains). */
  shown(): { readonly [S in Side]?: ClassRequest };
}

export class RemoteExplanation {
  /** Forward passes run for this panel (a class switch runs none; a reopen runs one). */
  forwardPasses = 0;
  private handle: EngineHandle | undefined;
  private params: OpenParams | undefined;
  /**
   * The panel closed (release()): nothing opens or keeps an explanation for it any more. A request still in
   * flight then (a layer the webview asked for just before the close, a run its file watcher started) would
   * otherwise open one again (its handle is gone: a stale handle, reopened) or adopt one an open returns late,
   * and the engine would hold it with nobody left to release it.
   */
  private closed = false;

  constructor(
    private readonly engine: EngineApi,
    /** The handle's id in the engine (the panel's id). */
    private readonly id: number,
    private readonly hooks: RemoteHooks,
  ) {}

  /** For tests: the handle in the engine (stale after the engine restarted). */
  get held(): EngineHandle | undefined {
    return this.handle;
  }

  /** A new forward pass in the engine, replacing what this panel held; asked once more if the engine was stopped under it on purpose. */
  async open(params: OpenParams, o: RequestOptions): Promise<OpenedResponse> {
    this.refuseClosed();
    // Whatever happens, the engine no longer holds what this handle held when the open began.
    this.handle = undefined;
    let opened: OpenedResponse & { readonly handle: EngineHandle };
    try {
      opened = await this.engine.open(this.id, params, o);
    } catch (e) {
      if (!(e instanceof EngineError && e.retryable) || o.signal?.aborted || this.closed) throw e;
      this.hooks.log(`${e.message}; asking again`);
      opened = await this.engine.open(this.id, params, o);
    }
    this.params = params;
    this.adopt(opened);
    return opened;
  }

  /** Another class from the kept forward pass; undefined clears a side other than main. */
  async explain(side: Side, target: ClassRequest | undefined): Promise<PanelExplanation | undefined> {
    return (await this.ask((h) => this.engine.explain(h, side, target))).explanation;
  }

  layer(layerIndex: number, channel: number | undefined): Promise<LayerResponse> {
    return this.ask((h) => this.engine.layer(h, layerIndex, channel));
  }

  exportData(kind: ExportRequest['kind'], overlay: ExportRequest['overlay']) {
    return this.ask((h) => this.engine.exportData(h, kind, overlay));
  }

  /** The panel closed: forgets the explanation in the engine (never starts one to do so); later requests are refused, and an open still in flight is released when it lands. */
  release(): void {
    this.closed = true;
    void this.engine.release(this.handle);
    this.handle = undefined;
  }

  private async ask<T>(request: (h: EngineHandle) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.refuseClosed();
        if (!this.engine.isCurrent(this.handle)) await this.reopen();
        return await request(this.handle!);
      } catch (e) {
        const again = !this.closed && (e instanceof StaleHandle || (e instanceof EngineError && e.retryable));
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
      this.adopt(await this.engine.open(this.id, { ...this.params, ...this.hooks.shown() }));
    } finally {
      this.hooks.busy(undefined);
    }
  }

  /** Takes up what an open returned; one that lands after the panel closed is released at once. */
  private adopt(o: OpenedResponse & { readonly handle: EngineHandle }): void {
    this.forwardPasses += o.forwardPasses;
    if (this.closed) {
      void this.engine.release(o.handle);
      throw new PanelClosed();
    }
    this.handle = o.handle;
  }

  private refuseClosed(): void {
    if (this.closed) throw new PanelClosed();
  }
}
