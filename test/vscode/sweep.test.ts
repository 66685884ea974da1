// Right-click a folder → Find Misclassifications, in a real VS Code: the Fashion-MNIST classifier over a
// labelled folder of the test workspace, swept in the engine process (its workers explain the images), the
// outputs in the extension's storage and none in the folder, the view (accuracy, confusion table, mistakes),
// a mistake opened in the explanation panel on "why predicted, not expected", the model remembered per
// folder, and Cancel stopping the engine and the sweep's workers.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CnnFixationsApi } from '../../src/extension';
import type { SweepCommandResult } from '../../src/panels/sweep-command';
import type { SweepSummary } from '../../src/sweep/summary';
import { until } from './until';

const EXT_ID = 'cnn-fixations.cnn-fixations';
const COMMAND = 'cnnFixations.findMisclassifications';
const folder = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

/** Every file under `dir`, relative. */
const listing = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).sort();

/** The processes whose parent is `pid` (Linux /proc). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));

describe('CNN Fixations in VS Code: Find Misclassifications', function () {
  this.timeout(180_000);
  let api: CnnFixationsApi;
  const config = () => vscode.workspace.getConfiguration('cnnFixations');
  let fashion: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<CnnFixationsApi | undefined>(EXT_ID);
    assert.ok(ext);
    api = (await ext.activate())!;
    assert.ok(api, 'the test API');
    fashion = path.join(folder(), 'fashion');
    await config().update('model', 'models/fmnist-gap.onnx', vscode.ConfigurationTarget.Workspace);
    await config().update('labelsFile', 'models/fmnist_labels.txt', vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await config().update('model', 'models/mobilenetv2-12-int8.onnx', vscode.ConfigurationTarget.Workspace);
    await config().update('labelsFile', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('is offered on folders in the explorer', () => {
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
    const entry = pkg.contributes.menus['explorer/context'].find((m) => m.command === COMMAND);
    assert.equal(entry?.when, 'explorerResourceIsFolder');
  });

  it('sweeps the folder in the engine, keeps the outputs in its storage, and shows accuracy, confusions and mistakes', async () => {
    const before = listing(fashion);
    const r = (await vscode.commands.executeCommand(COMMAND, vscode.Uri.file(fashion))) as SweepCommandResult | undefined;
    assert.ok(r && r.status === 'done', JSON.stringify(r));
    assert.equal(r.images, 30);
    assert.equal(path.basename(r.modelPath), 'fmnist-gap.onnx');
    assert.ok(!r.out.startsWith(folder()), `outputs outside the workspace: ${r.out}`);
    for (const f of ['results.jsonl', 'summary.json', 'report.html', 'sweep.json']) assert.ok(fs.existsSync(path.join(r.out, f)), f);
    assert.deepEqual(listing(fashion), before, 'nothing written into the swept folder');
    const s = JSON.parse(fs.readFileSync(path.join(r.out, 'summary.json'), 'utf8')) as SweepSummary;
    assert.equal(s.counts.wrong, r.wrong);
    assert.ok(r.wrong > 0, 'the classifier gets some of these wrong');
    const stats = api.engine().stats!;
    assert.equal(stats.pid, api.engine().pid, 'the sweep was answered by the engine process');
    assert.notEqual(stats.pid, process.pid);

    const [view] = api.sweepViews();
    assert.equal(view.dir, fashion);
    assert.equal(view.mistakes, s.mistakes.length);
    assert.match(view.html, /<table class="confusion">/);
    assert.match(view.html, new RegExp(`${(s.accuracy.top1! * 100).toFixed(1)}%`));
    assert.equal((view.html.match(/data-open="/g) ?? []).length, s.mistakes.length, 'a button per mistake');
    // the script keeps which folder's sweep this is, for VS Code to hand back after a reload
    const state = /<script nonce="[\w-]+" src="[^"]*sweep\.js" data-state="([^"]+)"><\/script>/.exec(view.html);
    assert.ok(state, 'the view script with its state');
    assert.deepEqual(JSON.parse(state[1].replace(/&quot;/g, '"')), { dir: fashion });
  });

  it('opens a mistake in the explanation panel on why the predicted class, not the expected one', async () => {
    const [view] = api.sweepViews();
    const s = JSON.parse(fs.readFileSync(path.join(view.out, 'summary.json'), 'utf8')) as SweepSummary;
    const m = s.mistakes[0];
    const info = await api.sendSweepView(fashion, { type: 'openMistake', path: m.path });
    assert.ok(info, 'a panel opened');
    assert.equal(info.target.imagePath, path.join(fashion, ...m.path.split('/')));
    assert.equal(info.target.modelPath, view.modelPath);
    assert.equal(info.error, undefined, JSON.stringify(info.error));
    assert.equal(info.state.classIndex, m.predicted.index);
    assert.equal(info.state.versusIndex, m.expected.index);
    assert.equal(info.state.compareIndex, m.expected.index);
    // Only the mistakes listed open: a path from the webview reaches nothing else.
    const panels = api.panels().length;
    assert.equal(await api.sendSweepView(fashion, { type: 'openMistake', path: '../models/fmnist-gap.onnx' }), undefined);
    assert.equal(await api.sendSweepView(fashion, { type: 'nonsense' }), undefined);
    assert.equal(api.panels().length, panels);
  });

  it("comes back after a reload from the extension's storage (by its state, else its title), or says its results are gone", async () => {
    const [before] = api.sweepViews();
    const html = (h: string) => h.replace(/nonce-[\w-]+|nonce="[\w-]+"/g, 'NONCE');
    const closeAll = async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await until('the views to close', () => api.sweepViews().length === 0 && api.panels().length === 0);
    };
    await closeAll();
    const title = 'Misclassifications: fashion';
    for (const state of [{ dir: fashion }, undefined]) {
      const back = api.reviveSweepView(title, state);
      assert.ok(back, `restored from ${JSON.stringify(state)}`);
      assert.equal(back.gone, undefined);
      assert.equal(back.dir, fashion);
      assert.equal(back.modelPath, before.modelPath);
      assert.equal(html(back.html), html(before.html), 'the same page, pictures and all');
      assert.ok((back.html.match(/data:image\/png;base64,/g) ?? []).length >= 4 * before.mistakes, 'each mistake with its image and maps');
      await closeAll();
    }
    // clicking a mistake of the restored view still opens it on why predicted, not expected
    api.reviveSweepView(title, { dir: fashion });
    const s = JSON.parse(fs.readFileSync(path.join(before.out, 'summary.json'), 'utf8')) as SweepSummary;
    const m = s.mistakes[1] ?? s.mistakes[0];
    const info = await api.sendSweepView(fashion, { type: 'openMistake', path: m.path });
    assert.ok(info, 'a panel opened');
    assert.equal(info.state.classIndex, m.predicted.index);
    assert.equal(info.state.versusIndex, m.expected.index);
    await closeAll();
    // the results removed from the extension's storage: the view says so, and opens nothing
    const away = `${before.out}.away`;
    fs.renameSync(before.out, away);
    try {
      const gone = api.reviveSweepView(title, { dir: fashion });
      assert.ok(gone);
      assert.match(gone.gone ?? '', /no longer in the extension's storage/);
      assert.match(gone.html, /The results of this sweep are gone/);
      assert.match(gone.html, /Find Misclassifications with CNN Fixations/);
      assert.ok(gone.html.includes(fashion), 'it names the folder');
      assert.equal(await api.sendSweepView(fashion, { type: 'openMistake', path: m.path }), undefined);
      assert.equal(api.panels().length, 0);
      await closeAll();
    } finally {
      fs.renameSync(away, before.out);
    }
  });

  it('remembers the model chosen for the folder, and resumes its sweep', async () => {
    await config().update('model', 'models/mobilenetv2-12-int8.onnx', vscode.ConfigurationTarget.Workspace);
    try {
      const t0 = Date.now();
      const r = (await vscode.commands.executeCommand(COMMAND, vscode.Uri.file(fashion))) as SweepCommandResult | undefined;
      assert.ok(r && r.status === 'done', JSON.stringify(r));
      assert.equal(path.basename(r.modelPath), 'fmnist-gap.onnx', 'the folder keeps its model');
      assert.equal(r.images, 30);
      console.log(`second sweep of the folder (resumed, nothing to explain): ${Date.now() - t0} ms`);
    } finally {
      await config().update('model', 'models/fmnist-gap.onnx', vscode.ConfigurationTarget.Workspace);
    }
  });

  it('Cancel stops the sweep: the engine and its workers end, the lines written stay for a resume', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const big = path.join(ext.extensionPath, 'eval', 'fmnist-sweep', 'images');
    const pending = vscode.commands.executeCommand(COMMAND, vscode.Uri.file(big)) as Thenable<SweepCommandResult | undefined>;
    const enginePid = await until('the engine', () => api.engine().pid);
    const workers = await until('the sweep workers', () => {
      const c = children(enginePid);
      return c.length >= 1 && c;
    });
    // Soon after the workers start: on an idle machine the 300 demo images are swept in about 2 s.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(api.cancelSweep(), true);
    const r = await pending;
    assert.deepEqual(r, { status: 'cancelled' });
    assert.equal(api.cancelSweep(), false, 'nothing runs any more');
    await until('the engine to end', () => !alive(enginePid), 10000);
    await until('the workers to end', () => workers.every((w) => !alive(w)), 10000);
    assert.equal(api.sweepViews().filter((v) => v.dir === big).length, 0, 'no view of a cancelled sweep');
  });
});
