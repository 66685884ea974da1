// The view of a sweep in VS Code: a webview panel showing the sweep report itself (src/report/sweep.ts: the
// accuracy, the confusion table, the mistakes by confidence with their three maps), with a small script
// (webview-ui/src/sweep.ts) that makes each mistake open the explanation panel on "why predicted, not
// expected" and an Export button that copies the outputs out of the extension's storage.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { renderSweepReport, type MistakeThumbnails } from '../report/sweep';
import { readSweepViewMessage } from '../shared/sweep-view';
import type { SweepSummary } from '../sweep/summary';
import { ExplainPanel, type Services } from './panel';
import { webviewRoot } from './html';

const VIEW_TYPE = 'cnnFixations.sweep';
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

/** What the tests see of an open sweep view. */
export interface SweepViewInfo {
  readonly dir: string;
  readonly out: string;
  readonly modelPath: string;
  readonly mistakes: number;
  readonly html: string;
}

export class SweepView {
  private static readonly open = new Map<string, SweepView>();

  static all(): readonly SweepView[] {
    return [...SweepView.open.values()];
  }

  /** The view of this folder's sweep, showing `shown` (revealed and updated when it is open). */
  static show(services: Services, shown: SweepShown): SweepView {
    let view = SweepView.open.get(shown.dir);
    if (!view) {
      const panel = vscode.window.createWebviewPanel(VIEW_TYPE, `Misclassifications: ${path.basename(shown.dir)}`, vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [webviewRoot(services.extensionUri)],
      });
      view = new SweepView(services, panel, shown);
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
    private shown: SweepShown,
  ) {
    SweepView.open.set(shown.dir, this);
    panel.iconPath = vscode.Uri.joinPath(services.extensionUri, 'media', 'icon.png');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
    );
  }

  info(): SweepViewInfo {
    const s = this.shown;
    return { dir: s.dir, out: s.out, modelPath: s.modelPath, mistakes: s.summary.mistakes.length, html: this.html };
  }

  /** A message from the webview (or a test acting as it): checked, then answered; never throws. */
  async receive(message: unknown): Promise<ExplainPanel | undefined> {
    const m = readSweepViewMessage(message);
    if (typeof m === 'string') {
      this.services.log.warn(`sweep view: ignored a message (${m})`);
      return undefined;
    }
    try {
      if (m.type === 'export') {
        await this.export();
        return undefined;
      }
      return await this.openMistake(m.path);
    } catch (e) {
      this.services.log.error(`sweep view: ${(e as Error).stack ?? String(e)}`);
      void vscode.window.showErrorMessage(`CNN Fixations: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The mistake's image in the explanation panel: its predicted class, the expected one beside it, and why the one rather than the other. */
  private async openMistake(rel: string): Promise<ExplainPanel | undefined> {
    // Only a mistake the view lists: a path from the webview never reaches anything else on disk.
    const m = this.shown.summary.mistakes.find((x) => x.path === rel);
    if (!m) {
      this.services.log.warn(`sweep view: ${rel} is not one of the mistakes shown`);
      return undefined;
    }
    const imagePath = path.join(this.shown.dir, ...m.path.split('/'));
    if (!fs.existsSync(imagePath)) throw new Error(`${imagePath} is no longer there: sweep the folder again`);
    const p = ExplainPanel.createOrShow(this.services, { modelPath: this.shown.modelPath, imagePath }, vscode.ViewColumn.Beside);
    p.controller.restore({ classIndex: m.predicted.index, versusIndex: m.expected.index });
    await p.run();
    return p;
  }

  private async export(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      openLabel: 'Export here',
      title: 'CNN Fixations: export the sweep results',
    });
    if (!picked?.length) return;
    const to = picked[0].fsPath;
    for (const f of OUTPUTS) if (fs.existsSync(path.join(this.shown.out, f))) fs.copyFileSync(path.join(this.shown.out, f), path.join(to, f));
    void vscode.window.showInformationMessage(`CNN Fixations: the sweep results are in ${to} (open report.html in a browser).`);
  }

  private render(): void {
    const webview = this.panel.webview;
    const nonce = randomBytes(18).toString('base64url');
    const src = webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(this.services.extensionUri), 'sweep.js')).toString();
    // The report's own stylesheet is inline; scripts run only with this load's nonce.
    const csp = ["default-src 'none'", 'img-src data:', "style-src 'unsafe-inline'", `script-src 'nonce-${nonce}'`].join('; ');
    this.html = renderSweepReport(this.shown.summary, this.shown.thumbs, { csp, script: { src, nonce } });
    webview.html = this.html;
  }

  dispose(): void {
    if (SweepView.open.get(this.shown.dir) === this) SweepView.open.delete(this.shown.dir);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
