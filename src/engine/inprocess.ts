// The engine answered in the caller's own process: the same requests (EngineApi), the same Engine, the
// same failures as data, without a child process. The panel's browser tests and its development page
// (test/webview/host.ts) run the panel's real controller on it. There is nothing to kill here, so a
// request cannot be cancelled; a native crash would take the caller down with it.
import { EngineApi, succeeded, type Body, type EngineHandle, type LogLevel, type RequestOptions } from './client';
import { Engine } from './engine';
import type { EngineRequest, Replies } from './protocol';

export class InProcessEngine extends EngineApi {
  readonly engine: Engine;
  private nextId = 1;
  private readonly progress = new Map<number, (message: string) => void>();

  constructor(log: (level: LogLevel, message: string) => void = () => undefined) {
    super();
    this.engine = new Engine({ log, progress: (id, message) => this.progress.get(id)?.(message) });
  }

  /** One engine for the caller's lifetime: its handles stay valid. */
  override get generation(): number {
    return 1;
  }

  override isCurrent(h: EngineHandle | undefined): boolean {
    return !!h;
  }

  protected override async request<B extends Body>(body: B, o: RequestOptions = {}): Promise<Replies[B['type']]> {
    const id = this.nextId++;
    if (o.onProgress) this.progress.set(id, o.onProgress);
    try {
      return succeeded(await this.engine.answer({ ...body, id } as EngineRequest)) as Replies[B['type']];
    } finally {
      this.progress.delete(id);
    }
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}
