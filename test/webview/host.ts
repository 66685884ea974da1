// A real host for the standalone panel: the extension's own PanelController (src/panels/controller.ts),
// the same message validation, routing and error mapping VS Code runs, on the real pipeline answered in
// this process (src/engine/inprocess.ts: the engine's own Engine, without a child process). Only what VS
// Code would provide is stood in for here: messages go to the page, exports to a folder, settings from
// the options given. The Chromium tests bridge it to the page with Playwright bindings; the development
// server (run.mjs --serve) over HTTP.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InProcessEngine } from '../../src/engine/inprocess';
import { fixturePath } from '../../src/fixtures';
import { PanelController, type PanelHost, type PanelInfo } from '../../src/panels/controller';
import type { LayerDetail, PanelExplanation, PanelState, Side, ToWebview } from '../../src/shared/protocol';
import type { RunOptions } from '../../src/shared/settings';

/** The tests' real models and photos (src/fixtures), for panel.test.mjs. */
export { fixturePath };
/** The sweep page and its pictures, for sweep.test.mjs (the VS Code view renders the page the same way). */
export { renderSweepReport } from '../../src/report/sweep';
export { thumbnailsOf } from '../../src/sweep/thumbnails';

export interface DevHostOptions {
  readonly model: string;
  readonly image: string;
  /** The user's settings, as VS Code's would give them. */
  readonly options?: RunOptions;
  /** Where exports are written. */
  readonly exportDir: string;
}

type Post = (message: ToWebview) => void | Promise<void>;

/** One engine for every host of the process: sessions stay cached across tests, as in the engine process. */
let engine: InProcessEngine | undefined;
let nextPanel = 1;

export class DevHost {
  /** Every message the page sent, in order, as it was sent (tests assert on it). */
  readonly received: unknown[] = [];
  /** Files the exports were written to. */
  readonly exported: string[] = [];
  /** The last layer detail, and each side's explanation (explained, compared, contrast), as the page was sent them. */
  lastLayer: LayerDetail | undefined;
  main: PanelExplanation | undefined;
  compare: PanelExplanation | undefined;
  contrast: PanelExplanation | undefined;
  /** What the controller last recorded for a reload (VS Code keeps it on disk). */
  remembered: PanelState | undefined;
  private controller!: PanelController;
  private opts!: DevHostOptions;

  constructor(
    opts: DevHostOptions,
    private readonly post: Post,
  ) {
    this.open(opts);
  }

  /** A new panel for this model and image, explained at once as the extension's command does. */
  open(opts: DevHostOptions, restored?: PanelState): void {
    this.controller?.dispose();
    this.opts = opts;
    this.main = this.compare = this.contrast = this.lastLayer = undefined;
    engine ??= new InProcessEngine();
    this.controller = new PanelController(nextPanel++, { modelPath: opts.model, imagePath: opts.image }, engine, this.host());
    if (restored) this.controller.restore(restored);
    void this.controller.run();
  }

  /** A fresh panel on the same model and image: the top-1 class, nothing compared. */
  reset(): void {
    this.open(this.opts);
    this.received.length = 0;
  }

  /** What VS Code's serializer does after a window reload: a new panel from the state it recorded (here, `state`). */
  revive(state: PanelState): void {
    this.open(this.opts, state);
  }

  info(): PanelInfo {
    return this.controller.info();
  }

  /** A message from the page. */
  async handle(raw: unknown): Promise<void> {
    this.received.push(raw);
    await this.controller.receive(raw);
  }

  private host(): PanelHost {
    return {
      post: (m) => {
        if (m.type === 'showResult') ({ main: this.main, compare: this.compare, contrast: this.contrast } = m);
        if (m.type === 'showClass') for (const s of m.sides) this[s.side satisfies Side] = s.explanation;
        if (m.type === 'showLayer') this.lastLayer = m.detail;
        if (m.type === 'exported') this.exported.push(m.path);
        void this.post(m);
      },
      log: (level, message) => {
        if (process.env.CNNF_HOST_VERBOSE) console.log(`      [host ${level}] ${message}`);
      },
      settings: () => this.opts.options ?? {},
      progress: (_title, work) => work(() => undefined),
      saveAs: async (kind) => {
        fs.mkdirSync(this.opts.exportDir, { recursive: true });
        return path.join(this.opts.exportDir, `class-${this.main?.result.target.index ?? 'none'}.${kind}`);
      },
      remember: (state) => {
        this.remembered = state;
      },
    };
  }
}
