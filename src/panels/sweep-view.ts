// The view of a sweep in VS Code: a webview panel showing the sweep report itself (src/report/sweep.ts: the
// accuracy, the confusion table, the mistakes by confidence with their three maps), with a small script
// (webview-ui/src/sweep.ts) that makes each mistake open the explanation panel on "why predicted, not
// expected" and an Export button that copies the outputs out of the extension's storage. After a window
// reload VS Code hands the view back (the serializer in extension.ts) with the state its script kept, which
// folder's sweep it showed; the view reads that sweep again from the extension's storage (summary.json,
// results.jsonl and the pictures the workers drew: no image work in the host), or says plainly that it is gone.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { escapeHtml as e } from '../report/html';
import { renderSweepReport, viewScript, type MistakeThumbnails } from '../report/sweep';
import { readSweepViewMessage } from '../shared/sweep-view';
import { storedThumbnails } from '../sweep/pictures';
import type { SweepLine } from '../sweep/record';
import { files, readLines } from '../sweep/results';
import type { SweepSummary } from '../sweep/summary';
import { ExplainPanel, type Services } from './panel';
import { webviewRoot } from './html';

export const SWEEP_VIEW_TYPE = 'cnnFixations.sweep';
const TITLE = 'Misclassifications: ';
/** The outputs Export copies (src/sweep/results.ts names them). */
const OUTPUTS = ['results.jsonl', 'summary.json', 'report.html', 'sweep.json'];

export interface SweepShown {
  readonly modelPath: string;
  /** The swept folder. */
  readonly dir: string;
  /** Where the outputs are (the extension's storage). */
  readonly out: string;
  readonly summary: SweepSummary;
  readonly thumbs: MistakeThumbnails;
}

/** What the tests see of an open sweep view (out and modelPath empty when its results are gone). */
export interface SweepViewInfo {
  readonly dir: string;
  readonly out: string;
  readonly modelPath: string;
  readonly mistakes: number;
  readonly html: string;
  /** Why the view has no results to show (they are no longer in the extension's storage), else undefined. */
  readonly gone: string | undefined;
}

/** Where sweeps' outputs are kept (src/panels/sweep-command.ts): one folder per swept folder. */
export interface SweepStore {
  outFor(dir: string): string;
  /** Every results folder kept. */
  all(): string[];
}

/** What the view's script keeps for VS Code: which folder's sweep it shows. */
interface ViewState {
  readonly dir: string;
}

const readState = (raw: unknown): ViewState | undefined => {
  const dir = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).dir : undefined;
  return typeof dir === 'string' && path.isAbsolute(dir) ? { dir } : undefined;
};

/** A folder's sweep as its results folder keeps it, or why it cannot be shown. */
function storedSweep(dir: string, out: string): SweepShown | string {
  let summary: SweepSummary;
  try {
    summary = JSON.parse(fs.readFileSync(path.join(out, files.summary), 'utf8')) as SweepSummary;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? "they are no longer in the extension's storage"
      : `${files.summary} is not readable (${(err as Error).message})`;
  }
  if (summary?.version !== 1 || !Array.isArray(summary.mistakes) || typeof summary.model?.path !== 'string')
    return `${files.summary} is not one this version of CNN Fixations reads`;
  if (path.resolve(summary.dataset.root) !== path.resolve(dir)) return `${out} holds the sweep of another folder (${summary.dataset.root})`;
  const lines = new Map<string, SweepLine>();
  try {
    for (const l of readLines(path.join(out, files.results)).lines) lines.set(l.path, l); // the last line of a path stands
  } catch (err) {
    return (err as Error).message;
  }
  return { modelPath: summary.model.path, dir, out, summary, thumbs: storedThumbnails(out, summary.mistakes, lines) };
}

/** The folder whose sweep a view of this title showed (its state lost): the newest kept sweep of a folder of that name that no view shows. */
function dirByTitle(store: SweepStore, title: string): string | undefined {
  if (!title.startsWith(TITLE)) return undefined;
  const name = title.slice(TITLE.length);
  const found: { dir: string; at: number }[] = [];
  for (const out of store.all()) {
    try {
      const file = path.join(out, files.summary);
      const root = (JSON.parse(fs.readFileSync(file, 'utf8')) as SweepSummary).dataset.root;
      if (path.basename(root) === name && !SweepView.has(root)) found.push({ dir: root, at: fs.statSync(file).mtimeMs });
    } catch {
      // not a finished sweep
    }
  }
  return found.sort((a, b) => b.at - a.at)[0]?.dir;
}

export class SweepView {
  private static readonly open = new Map<string, SweepView>();

  static all(): readonly SweepView[] {
    return [...SweepView.open.values()];
  }

  static has(dir: string): boolean {
    return SweepView.open.has(dir);
  }

  /**
   * A view VS Code brings back after a reload: the sweep its saved state names (else the newest kept sweep of
   * a folder named as its title says), read from the extension's storage, or a page saying it is gone.
   */
  static revive(services: Services, store: SweepStore, panel: vscode.WebviewPanel, saved: unknown): SweepView | undefined {
    const dir = readState(saved)?.dir ?? dirByTitle(store, panel.title);
    if (dir && SweepView.open.has(dir)) {
      panel.dispose(); // shown already (a second copy of the same view)
      return undefined;
    }
    panel.webview.options = SweepView.options(services);
    const shown = dir ? storedSweep(dir, store.outFor(dir)) : 'the view came back without saying which folder it showed';
    const name = dir ?? panel.title.replace(TITLE, '');
    if (typeof shown === 'string') services.log.warn(`sweep view of ${name}: not restored: ${shown}`);
    else
      services.log.info(
        `sweep view of ${dir}: restored after a reload (${shown.summary.counts.images} images, ${shown.summary.mistakes.length} mistakes listed)`,
      );
    const view = new SweepView(services, panel, dir ?? name, shown);
    view.render();
    return view;
  }

  private static options(services: Services): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [webviewRoot(services.extensionUri)] };
  }

  /** The view of this folder's sweep, showing `shown` (revealed and updated when it is open). */
  static show(services: Services, shown: SweepShown): SweepView {
    let view = SweepView.open.get(shown.dir);
    if (!view) {
      const panel = vscode.window.createWebviewPanel(
        SWEEP_VIEW_TYPE,
        `${TITLE}${path.basename(shown.dir)}`,
        vscode.ViewColumn.Active,
        SweepView.options(services),
      );
      view = new SweepView(services, panel, shown.dir, shown);
    } else {
      view.shown = shown;
      view.panel.reveal(undefined, false);
    }
    view.render();
    return view;
  }

  private readonly disposables: vscode.Disposable[] = [];
  private html = '';

  private constructor(
    private readonly services: Services,
    private readonly panel: vscode.WebviewPanel,
    private readonly dir: string,
    /** The sweep, or why there is none to show. */
    private shown: SweepShown | string,
  ) {
    SweepView.open.set(dir, this);
    panel.iconPath = vscode.Uri.joinPath(services.extensionUri, 'media', 'icon.png');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
    );
  }

  info(): SweepViewInfo {
    const s = this.shown;
    if (typeof s === 'string') return { dir: this.dir, out: '', modelPath: '', mistakes: 0, html: this.html, gone: s };
    return { dir: s.dir, out: s.out, modelPath: s.modelPath, mistakes: s.summary.mistakes.length, html: this.html, gone: undefined };
  }

  /** A message from the webview (or a test acting as it): checked, then answered; never throws. */
  async receive(message: unknown): Promise<ExplainPanel | undefined> {
    const m = readSweepViewMessage(message);
    if (typeof m === 'string') {
      this.services.log.warn(`sweep view: ignored a message (${m})`);
      return undefined;
    }
    if (typeof this.shown === 'string') {
      this.services.log.warn(`sweep view: ignored ${m.type}: the view has no results`);
      return undefined;
    }
    try {
      if (m.type === 'export') {
        await this.export(this.shown);
        return undefined;
      }
      return await this.openMistake(this.shown, m.path);
    } catch (e) {
      this.services.log.error(`sweep view: ${(e as Error).stack ?? String(e)}`);
      void vscode.window.showErrorMessage(`CNN Fixations: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The mistake's image in the explanation panel: its predicted class, the expected one beside it, and why the one rather than the other. */
  private async openMistake(shown: SweepShown, rel: string): Promise<ExplainPanel | undefined> {
    // Only a mistake the view lists: a path from the webview never reaches anything else on disk.
    const m = shown.summary.mistakes.find((x) => x.path === rel);
    if (!m) {
      this.services.log.warn(`sweep view: ${rel} is not one of the mistakes shown`);
      return undefined;
    }
    const imagePath = path.join(shown.dir, ...m.path.split('/'));
    if (!fs.existsSync(imagePath)) throw new Error(`${imagePath} is no longer there: sweep the folder again`);
    const p = ExplainPanel.createOrShow(this.services, { modelPath: shown.modelPath, imagePath }, vscode.ViewColumn.Beside);
    p.controller.restore({ classIndex: m.predicted.index, versusIndex: m.expected.index });
    await p.run();
    return p;
  }

  private async export(shown: SweepShown): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      openLabel: 'Export here',
      title: 'CNN Fixations: export the sweep results',
    });
    if (!picked?.length) return;
    const to = picked[0].fsPath;
    for (const f of OUTPUTS) if (fs.existsSync(path.join(shown.out, f))) fs.copyFileSync(path.join(shown.out, f), path.join(to, f));
    void vscode.window.showInformationMessage(`CNN Fixations: the sweep results are in ${to} (open report.html in a browser).`);
  }

  private render(): void {
    const webview = this.panel.webview;
    const nonce = randomBytes(18).toString('base64url');
    const src = webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(this.services.extensionUri), 'sweep.js')).toString();
    // The report's own stylesheet is inline; scripts run only with this load's nonce.
    const csp = ["default-src 'none'", 'img-src data:', "style-src 'unsafe-inline'", `script-src 'nonce-${nonce}'`].join('; ');
    const script = { src, nonce, state: { dir: this.dir } satisfies ViewState };
    this.html =
      typeof this.shown === 'string' ? gonePage(this.dir, this.shown, csp, script) : renderSweepReport(this.shown.summary, this.shown.thumbs, { csp, script });
    webview.html = this.html;
  }

  dispose(): void {
    if (SweepView.open.get(this.dir) === this) SweepView.open.delete(this.dir);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** The view of a sweep whose results are gone: what, why, and what to do (its script keeps the state, so another reload says the same). */
function gonePage(dir: string, why: string, csp: string, script: Parameters<typeof viewScript>[0]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(csp)}">
<style>body{font:14px/1.45 var(--vscode-font-family,sans-serif);margin:20px 24px;color:var(--vscode-foreground)} h1{font-size:20px} code{background:var(--vscode-textCodeBlock-background);padding:1px 4px;border-radius:3px}</style>
</head><body>
<h1 class="gone">The results of this sweep are gone</h1>
<p>The sweep of <code>${e(dir)}</code> cannot be shown: ${e(why)}.</p>
<p>To see its misclassifications again, sweep the folder again: right-click it in the Explorer → <b>Find Misclassifications with CNN Fixations</b>.</p>
${viewScript(script)}
</body></html>
`;
}
