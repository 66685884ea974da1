// The extension in a real VS Code (code-server's Node extension host): commands, a real onnxruntime run of
// the int8 MobileNetV2 on real photos in the engine process, the real webview (its 'ready' handshake), and
// the message path from the webview through validation to the replies, driven through the API activate()
// returns. The engine's crash and cancellation are tested here too (run-integration.mjs sets
// CNN_FIXATIONS_ENGINE_TEST=1 so the engine honours the test-only crash request).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { CnnFixationsApi } from '../../src/extension';
import { lpPoolOnPathModel } from '../helpers/onnx-build';
import type { ExplainSummary } from '../../src/panels/controller';
import type { ErrorMessage, ShowClassMessage, ShowLayerMessage, ShowResultMessage, SideExplanation, ToWebview } from '../../src/shared/protocol';
import { until } from './until';

const EXT_ID = 'cnn-fixations.cnn-fixations';
const folder = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const file = (...p: string[]) => vscode.Uri.file(path.join(folder(), ...p));

function only<T extends ToWebview['type']>(sent: ToWebview[], type: T): Extract<ToWebview, { type: T }> {
  const hits = sent.filter((m) => m.type === type);
  assert.equal(hits.length, 1, `one '${type}' in ${JSON.stringify(sent.map((m) => m.type))}`);
  return hits[0] as Extract<ToWebview, { type: T }>;
}

/** The one side a showClass changed: its name and explanation. */
function oneSide(sent: ToWebview[]): SideExplanation {
  const m = only(sent, 'showClass') as ShowClassMessage;
  assert.equal(m.sides.length, 1, `one side in ${JSON.stringify(m.sides.map((s) => s.side))}`);
  return m.sides[0];
}

async function explain(...uris: vscode.Uri[]): Promise<ExplainSummary[]> {
  const r = (await vscode.commands.executeCommand('cnnFixations.explain', uris[0], uris)) as ExplainSummary[] | undefined;
  assert.ok(Array.isArray(r), `the command returns the panels' summaries, got ${JSON.stringify(r)}`);
  return r;
}

describe('CNN Fixations in VS Code', function () {
  let api: CnnFixationsApi;
  let pelican: ExplainSummary;

  // The extension host's event loop (these tests run in it): its longest delay during each test, and how
  // busy it was (event loop utilization: a loop stalled by its own work is busy; one the OS merely did not
  // schedule on a loaded machine is not). With the pipeline in the engine process both stay low.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const worst: number[] = [];
  let elu: EventLoopUtilization | undefined;

  /** Sends `message` to panel `panelId` as its webview would: with the next request id. */
  let requestId = 0;
  const send = (panelId: number, message: Record<string, unknown>) => api.send(panelId, { id: ++requestId, ...message });

  before(async () => {
    const ext = vscode.extensions.getExtension<CnnFixationsApi | undefined>(EXT_ID);
    assert.ok(ext, `extension ${EXT_ID} is installed`);
    const exported = await ext.activate();
    // run-integration.mjs runs these tests as VS Code's extension tests: the extension is in its Test mode,
    // the only one in which activate() returns the test hooks (an installed extension returns nothing).
    assert.ok(exported, "activate() returns its test API in the extension's Test mode");
    api = exported;
    loop.enable();
  });
  beforeEach(() => {
    loop.reset();
    elu = performance.eventLoopUtilization();
  });
  afterEach(() => {
    const ms = loop.max / 1e6;
    const busy = performance.eventLoopUtilization(elu).utilization;
    worst.push(ms);
    console.log(
      `      (extension host event loop: longest delay ${ms.toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, utilization ${(busy * 100).toFixed(0)}%)`,
    );
  });
  after(() => {
    loop.disable();
    const sorted = [...worst].sort((a, b) => a - b);
    console.log(
      `      extension host event loop over ${worst.length} tests: median of the longest delays ${sorted[sorted.length >> 1]?.toFixed(0)} ms, worst ${sorted.at(-1)?.toFixed(0)} ms`,
    );
  });

  it('activates in the Node extension host and registers its commands', async () => {
    assert.match(process.version, /^v\d+\./);
    const cmds = await vscode.commands.getCommands(true);
    for (const c of ['explain', 'explainImage', 'selectModel', 'explainDemo', 'showLog']) assert.ok(cmds.includes(`cnnFixations.${c}`), c);
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as { contributes: { menus: Record<string, { command: string; when: string }[]> } };
    const explorer = pkg.contributes.menus['explorer/context'].find((m) => m.command === 'cnnFixations.explain');
    assert.ok(explorer && /onnx/.test(explorer.when) && /jpe\?g/.test(explorer.when), 'explorer menu on images and .onnx');
  });

  it("VS Code reads the manifest's strings from package.nls.json, and every command the walkthrough names exists", async () => {
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as {
      displayName: string;
      contributes: {
        commands: { title: string }[];
        walkthroughs: { title: string; steps: { id: string; title: string; description: string; completionEvents?: string[] }[] }[];
      };
    };
    const unresolved = JSON.stringify(pkg).match(/"%[\w.]+%"/g);
    assert.equal(unresolved, null, `placeholders VS Code did not resolve: ${unresolved?.join(', ')}`);
    assert.equal(pkg.displayName, 'CNN Fixations');
    assert.ok(pkg.contributes.commands.some((c) => c.title === 'Open Demo'));
    const [walk] = pkg.contributes.walkthroughs;
    assert.deepEqual(
      walk.steps.map((s) => s.id),
      ['demo', 'image', 'model', 'folder'],
    );
    const cmds = await vscode.commands.getCommands(false);
    const named = walk.steps.flatMap((s) => [
      ...[...s.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]),
      ...(s.completionEvents ?? []).filter((e) => e.startsWith('onCommand:')).map((e) => e.slice('onCommand:'.length)),
    ]);
    assert.ok(named.includes('cnnFixations.explainDemo') && named.length >= 6, named.join());
    for (const c of named) assert.ok(cmds.includes(c), `the walkthrough names ${c}, which is not a command`);
  });

  it('explains a workspace image with the model from the settings: pelican.jpeg is class 144 pelican', async () => {
    const [s] = await explain(file('images', 'pelican.jpeg'));
    assert.ok(s.ok, JSON.stringify(s.error));
    assert.equal(s.target?.index, 144);
    assert.equal(s.target?.label, 'pelican');
    assert.equal(s.predictions?.[0].index, 144);
    assert.equal(s.forwardPasses, 1);
    assert.ok((s.layers ?? 0) > 10, 'the walk went through the network');
    assert.ok(s.box && s.box[2] > s.box[0] && s.box[3] > s.box[1], 'a box');
    assert.equal(path.basename(s.modelPath), 'mobilenetv2-12-int8.onnx');
    pelican = s;
    const t = s.timings!;
    console.log(
      `      first explanation: ${s.roundTripMs?.toFixed(0)} ms from the host's request to its answer (engine started, session opened); ` +
        `load ${t.loadMs.toFixed(0)} ms, preprocess ${t.preprocessMs.toFixed(0)} ms, inference ${t.inferenceMs.toFixed(0)} ms, unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms`,
    );
    // the pipeline ran in the engine process, not in the extension host
    const engine = api.engine();
    assert.ok(engine.pid && engine.pid !== process.pid, `an engine process (${engine.pid}) beside the extension host (${process.pid})`);
    assert.equal(engine.stats?.forwardPasses, 1);
    // the workbench reports its tabs asynchronously
    await until('the panel tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label === 'pelican.jpeg · mobilenetv2-12-int8'));
  });

  it('the real webview loads and asks for the result (ready → showResult)', async () => {
    await until('the webview to post ready', () => api.panels().find((p) => p.id === pelican.panelId && p.ready));
    const sent = await send(pelican.panelId, { type: 'ready' });
    const r = only(sent, 'showResult') as ShowResultMessage;
    assert.equal(r.main.result.target.index, 144);
    assert.equal(r.classCount, 1000);
    assert.equal(r.labels?.[144], 'pelican');
    assert.equal(r.image.mime, 'image/jpeg');
    assert.deepEqual([r.image.width, r.image.height], [500, 375]);
    assert.ok(r.main.heat.data instanceof Float32Array && r.main.heat.data.length === r.main.heat.gridWidth * r.main.heat.gridHeight);
    assert.equal(r.model.fileName, 'mobilenetv2-12-int8.onnx');
    assert.equal(r.state.imagePath, pelican.imagePath);
  });

  it('explains another class from the kept forward pass: no new inference', async () => {
    const sent = await send(pelican.panelId, { type: 'explainClass', classIndex: 22 });
    const m = only(sent, 'showClass') as ShowClassMessage;
    const { side, explanation } = oneSide(sent);
    const t = explanation!.result.timings;
    assert.equal(api.engine().stats?.forwardPasses, 1, 'the engine ran no inference');
    console.log(`      class switch: unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms (no inference)`);
    assert.equal(side, 'main');
    assert.equal(explanation?.result.target.index, 22);
    assert.equal(m.state.classIndex, 22);
    // the same forward pass: its inference time is carried over unchanged, and no pass was added
    assert.equal(explanation?.result.timings.inferenceMs, pelican.timings?.inferenceMs);
    assert.equal(api.panels().find((p) => p.id === pelican.panelId)?.forwardPasses, 1);
  });

  it('compares a second class side by side, and stops comparing', async () => {
    const sent = await send(pelican.panelId, { type: 'compare', classIndex: 144 });
    assert.equal(oneSide(sent).side, 'compare');
    assert.equal(oneSide(sent).explanation?.result.target.index, 144);
    assert.equal((only(sent, 'showClass') as ShowClassMessage).state.compareIndex, 144);
    const off = await send(pelican.panelId, { type: 'compare' });
    assert.equal(oneSide(off).explanation, undefined);
    assert.equal((only(off, 'showClass') as ShowClassMessage).state.compareIndex, undefined);
  });

  it('"Why A, not B?": A against B and B\'s own map beside A, from the kept forward pass; leaving it', async () => {
    const passes = api.engine().stats?.forwardPasses;
    const m = only(await send(pelican.panelId, { type: 'whyNot', classIndex: 144 }), 'showClass') as ShowClassMessage;
    const sides = Object.fromEntries(m.sides.map((s) => [s.side, s.explanation?.result]));
    assert.deepEqual(Object.keys(sides), ['contrast', 'compare']);
    assert.deepEqual(
      [sides.contrast?.target.index, sides.contrast?.settings.mode, sides.contrast?.settings.versus, sides.contrast?.settings.versusLabel],
      [22, 'versus', 144, 'pelican'],
    );
    assert.deepEqual([sides.compare?.target.index, sides.compare?.settings.versus], [144, null], "B's own map");
    assert.deepEqual([m.state.classIndex, m.state.compareIndex, m.state.versusIndex], [22, 144, 144]);
    assert.notDeepEqual(sides.contrast?.keptPointWeights, sides.compare?.keptPointWeights);
    // the webview reloading gets all three sides at once
    const r = only(await send(pelican.panelId, { type: 'ready' }), 'showResult') as ShowResultMessage;
    assert.deepEqual([r.main.result.target.index, r.contrast?.result.target.index, r.compare?.result.target.index], [22, 22, 144]);
    assert.equal(api.engine().stats?.forwardPasses, passes, 'the engine ran no inference');
    assert.equal(api.panels().find((p) => p.id === pelican.panelId)?.forwardPasses, 1);
    // the explained class is no answer to "why not"; leaving the view clears both sides
    assert.match(
      (only(await send(pelican.panelId, { type: 'whyNot', classIndex: 22 }), 'error') as ErrorMessage).message,
      /classIndex 22 is the explained class/,
    );
    const left = only(await send(pelican.panelId, { type: 'whyNot' }), 'showClass') as ShowClassMessage;
    assert.deepEqual(
      left.sides.map((s) => [s.side, s.explanation]),
      [
        ['contrast', undefined],
        ['compare', undefined],
      ],
    );
    assert.deepEqual([left.state.compareIndex, left.state.versusIndex], [undefined, undefined]);
  });

  it('drills into a layer with its activation map', async () => {
    const d = (only(await send(pelican.panelId, { type: 'selectLayer', layerIndex: 3 }), 'showLayer') as ShowLayerMessage).detail;
    assert.equal(d.layerIndex, 3);
    assert.equal(d.classIndex, 22);
    assert.ok(d.cellCounts.reduce((a, b) => a + b, 0) > 0, 'fixations in the layer');
    if (d.gridWidth * d.gridHeight > 1) assert.equal(d.activation?.length, d.gridWidth * d.gridHeight, d.activationNote);
  });

  it('rejects what fails validation with an error in the panel, and keeps the result', async () => {
    const bad: [unknown, RegExp][] = [
      [{ type: 'explainClass', classIndex: 1000 }, /out of range.*1000 classes/],
      [{ type: 'explainClass', classIndex: 2.5 }, /whole number/],
      [{ type: 'selectLayer', layerIndex: 9999 }, /out of range.*layers/],
      [{ type: 'export', kind: 'gif', overlay: { heat: true, points: true, box: true, opacity: 0.5 } }, /png, json, html/],
      [{ type: 'export', kind: 'png', overlay: { heat: true, points: true, box: true, opacity: 7 } }, /opacity/],
      [{ type: 'rerun', settings: { convMode: 'sideways' } }, /settings\.convMode must be one of auto, contribution, center, activation/],
      [{ type: 'rerun', settings: { mode: 'all' } }, /settings\.mode must be one of discriminative, weighted, paper/],
      [{ type: 'explainClass', classIndex: 3, versus: 1000 }, /versus 1000 is out of range/],
      [{ type: 'launchMissiles' }, /unknown message type/],
      ['ready', /object/],
    ];
    for (const [msg, why] of bad) {
      const e = only(
        await (typeof msg === 'object' && msg !== null ? send(pelican.panelId, msg as Record<string, unknown>) : api.send(pelican.panelId, msg)),
        'error',
      ) as ErrorMessage;
      assert.equal(e.title, 'Invalid request from the panel');
      assert.match(e.message, why);
      if (typeof msg === 'object') assert.equal(e.id, requestId, 'the error answers the request by its id');
    }
    const noId = only(await api.send(pelican.panelId, { type: 'explainClass', classIndex: 3 }), 'error') as ErrorMessage;
    assert.match(noId.message, /'explainClass' request needs an id/);
    const p = api.panels().find((x) => x.id === pelican.panelId)!;
    assert.equal(p.error, undefined);
    assert.equal(p.state.classIndex, 22);
  });

  it('exports the overlay PNG and the JSON through the save dialog', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnf-export-'));
    const asked: string[] = [];
    api.setSaveDialog(async (o) => {
      asked.push(o.defaultUri!.fsPath);
      return vscode.Uri.file(path.join(dir, path.basename(o.defaultUri!.fsPath)));
    });
    try {
      const overlay = { heat: true, points: false, box: true, opacity: 0.5 };
      const png = only(await send(pelican.panelId, { type: 'export', kind: 'png', overlay }), 'exported');
      assert.equal(path.basename(asked[0]), 'pelican.class22-bald-eagle.cnn-fixations.png');
      assert.deepEqual([...fs.readFileSync(png.path).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const json = only(await send(pelican.panelId, { type: 'export', kind: 'json', overlay }), 'exported');
      const r = JSON.parse(fs.readFileSync(json.path, 'utf8')) as { version: number; target: { index: number } };
      assert.deepEqual([r.version, r.target.index], [1, 22]);
      const html = only(await send(pelican.panelId, { type: 'export', kind: 'html', overlay }), 'exported');
      assert.match(fs.readFileSync(html.path, 'utf8'), /<img alt="overlay" src="data:image\/png;base64,/);
    } finally {
      api.setSaveDialog(undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second image with the same model reuses its session: eagle.jpg is class 22 bald eagle', async () => {
    const [s] = await explain(file('images', 'eagle.jpg'));
    assert.ok(s.ok, JSON.stringify(s.error));
    assert.equal(s.target?.index, 22);
    assert.equal(s.sessionCached, true);
    const t = s.timings!;
    console.log(
      `      second image, cached session: ${s.roundTripMs?.toFixed(0)} ms round trip; load ${t.loadMs.toFixed(0)} ms, preprocess ${t.preprocessMs.toFixed(0)} ms, inference ${t.inferenceMs.toFixed(0)} ms, unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms`,
    );
  });

  it('reruns with settings from the panel: a new forward pass, the class kept', async () => {
    const sent = await send(pelican.panelId, { type: 'rerun', settings: { convMode: 'center', sigma: 12 } });
    const r = only(sent, 'showResult') as ShowResultMessage;
    assert.equal(r.main.result.settings.convMode, 'center');
    assert.equal(r.main.result.settings.sigma, 12);
    assert.equal(r.main.result.target.index, 22);
    assert.equal(api.panels().find((p) => p.id === pelican.panelId)?.forwardPasses, 2);
  });

  it('changes the mode from the kept forward pass; the mode setting reaches new runs, a bad one is reported', async () => {
    const passes = api.engine().stats?.forwardPasses;
    const r = only(await send(pelican.panelId, { type: 'rerun', settings: { mode: 'paper' } }), 'showResult') as ShowResultMessage;
    assert.equal(r.state.mode, 'paper');
    assert.equal(r.main.result.target.index, 22, 'the class stays');
    assert.equal(r.main.result.settings.convMode, 'center', 'the other panel settings stay');
    assert.equal(api.engine().stats?.forwardPasses, passes, 'no forward pass for a mode');
    const cfg = () => vscode.workspace.getConfiguration('cnnFixations');
    try {
      await cfg().update('mode', 'weighted', vscode.ConfigurationTarget.Workspace);
      const [eagle] = await explain(file('images', 'eagle.jpg'));
      assert.ok(eagle.ok, JSON.stringify(eagle.error));
      assert.equal(api.panels().find((p) => p.id === eagle.panelId)?.state.mode, 'weighted');
      await cfg().update('mode', 'sideways', vscode.ConfigurationTarget.Workspace);
      const [bad] = await explain(file('images', 'eagle.jpg'));
      assert.equal(bad.error?.title, 'Invalid setting');
      assert.match(bad.error?.message ?? '', /the setting cnnFixations\.mode must be one of discriminative, weighted, paper, got "sideways"/);
    } finally {
      await cfg().update('mode', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal(only(await send(pelican.panelId, { type: 'rerun' }), 'showResult').state.mode, 'paper', "the panel's own mode is not the setting's");
  });

  it('a corrupt .onnx gives a clear error in the panel, and the host carries on', async () => {
    const [s] = await explain(file('models', 'corrupt.onnx'), file('images', 'pelican.jpeg'));
    assert.equal(s.ok, false);
    assert.equal(s.error?.title, 'Cannot load the model');
    assert.match(s.error?.message ?? '', /corrupt\.onnx is not a usable ONNX model.*truncated or corrupt/);
    assert.ok(s.error?.hint);
    const p = await until('the error panel', () => api.panels().find((x) => x.id === s.panelId));
    assert.equal(p.error?.title, 'Cannot load the model');
    // the webview gets the error when it asks, and class requests are refused while there is no result
    assert.equal((only(await send(s.panelId, { type: 'ready' }), 'error') as ErrorMessage).title, 'Cannot load the model');
    assert.match((only(await send(s.panelId, { type: 'explainClass', classIndex: 1 }), 'error') as ErrorMessage).message, /before there is a result/);
    // a further command still works
    const [demo] = (await vscode.commands.executeCommand('cnnFixations.explainDemo')) as ExplainSummary[];
    assert.ok(demo.ok, JSON.stringify(demo.error));
    assert.equal(demo.target?.index, 144);
  });

  it('an operator without a rule is reported in the panel with its node and the path from the output', async () => {
    // conv → LpPool (no backtrack rule) → global average pool → fully connected: the walk stops at the LpPool
    const model = path.join(folder(), 'models', 'lppool.onnx');
    fs.writeFileSync(model, lpPoolOnPathModel());
    const [s] = await explain(vscode.Uri.file(model), file('images', 'pelican.jpeg'));
    assert.equal(s.ok, false);
    assert.equal(s.error?.title, 'Cannot explain through LpPool');
    assert.equal(s.error?.node, 'lppool_2x2');
    assert.match(s.error?.message ?? '', /Path from the output: .*Gemm.*lppool_2x2/);
    assert.match(s.error?.hint ?? '', /no rule/);
  });

  it('re-explains an open panel when its model changes on disk', async () => {
    const model = path.join(folder(), 'models', 'watched.onnx');
    fs.copyFileSync(path.join(folder(), 'models', 'mobilenetv2-12-int8.onnx'), model);
    const [s] = await explain(vscode.Uri.file(model), file('images', 'eagle.jpg'));
    assert.ok(s.ok);
    assert.equal(s.forwardPasses, 1);
    // a re-export that breaks the model: the panel follows, with the error
    fs.copyFileSync(path.join(folder(), 'models', 'corrupt.onnx'), model);
    const broken = await until('the panel to re-explain the broken model', () => api.panels().find((p) => p.id === s.panelId && p.error && !p.busy));
    assert.equal(broken.error?.title, 'Cannot load the model');
    // and back: a working model again
    fs.copyFileSync(path.join(folder(), 'models', 'mobilenetv2-12-int8.onnx'), model);
    // (a large copy may arrive as several change events: one run or more, each a forward pass)
    const fixed = await until('the panel to re-explain the restored model', () =>
      api.panels().find((p) => p.id === s.panelId && !p.error && !p.busy && p.forwardPasses >= 2),
    );
    assert.equal(fixed.state.classIndex, 22);
  });

  it('shows activations of tensors the forward pass did not keep (QDQ ShuffleNetV2, inspection run)', async () => {
    const [s] = await explain(file('models', 'shufflenet-v2-12-qdq.onnx'), file('images', 'pelican.jpeg'));
    assert.ok(s.ok, JSON.stringify(s.error));
    assert.equal(s.target?.index, 144);
    const r = only(await send(s.panelId, { type: 'ready' }), 'showResult') as ShowResultMessage;
    // in a QDQ graph a float Conv's output feeds only a QuantizeLinear: the walk never reads it, so it is not kept
    const conv = r.main.result.layers.findIndex((l) => l.op === 'Conv' && l.shape.length === 4 && l.shape[2] * l.shape[3] > 1);
    assert.ok(conv >= 0, 'a spatial Conv layer on the walk');
    const d = (only(await send(s.panelId, { type: 'selectLayer', layerIndex: conv }), 'showLayer') as ShowLayerMessage).detail;
    assert.equal(d.activationNote, undefined);
    assert.equal(d.activation?.length, d.gridWidth * d.gridHeight);
    const a = [...d.activation!];
    assert.ok(a.every(Number.isFinite) && Math.max(...a) > Math.min(...a), 'a real activation map');
    const other = d.channel === 0 ? 1 : 0;
    const c = (only(await send(s.panelId, { type: 'selectLayer', layerIndex: conv, channel: other }), 'showLayer') as ShowLayerMessage).detail;
    assert.equal(c.channel, other);
    assert.notDeepEqual([...c.activation!], a, 'another channel, another map');
  });

  it('follows the settings: a labels file names the classes; a bad setting is reported in the panel', async () => {
    const cfg = () => vscode.workspace.getConfiguration('cnnFixations');
    const labels = path.join(folder(), 'my-labels.txt');
    fs.writeFileSync(labels, Array.from({ length: 1000 }, (_, i) => `label number ${i}`).join('\n'));
    try {
      await cfg().update('labelsFile', 'my-labels.txt', vscode.ConfigurationTarget.Workspace);
      const [named] = await explain(file('images', 'eagle.jpg'));
      assert.equal(named.target?.label, 'label number 22');
      await cfg().update('labelsFile', 'missing-labels.txt', vscode.ConfigurationTarget.Workspace);
      const [bad] = await explain(file('images', 'eagle.jpg'));
      assert.equal(bad.ok, false);
      assert.equal(bad.error?.title, 'Invalid setting');
      assert.match(bad.error?.message ?? '', /missing-labels\.txt.*cnnFixations\.labelsFile/);
      await cfg().update('labelsFile', undefined, vscode.ConfigurationTarget.Workspace);
      // a model setting that names no file: a notification, no panel, nothing returned
      await cfg().update('model', 'models/gone.onnx', vscode.ConfigurationTarget.Workspace);
      const before = api.panels().length;
      assert.equal(await vscode.commands.executeCommand('cnnFixations.explain', file('images', 'pelican.jpeg')), undefined);
      assert.equal(api.panels().length, before);
    } finally {
      await cfg().update('labelsFile', undefined, vscode.ConfigurationTarget.Workspace);
      await cfg().update('model', 'models/mobilenetv2-12-int8.onnx', vscode.ConfigurationTarget.Workspace);
    }
  });

  it('an engine crash: the run in flight shows the error with a Rerun hint, Rerun works, other panels reopen transparently', async () => {
    // (re)start the engine with the pelican panel's explanation in it
    assert.equal(oneSide(await send(pelican.panelId, { type: 'explainClass', classIndex: 22 })).explanation?.result.target.index, 22);
    const pid = api.engine().pid;
    // a model the engine has not opened yet (a new session: a second of work there), and the crash under it
    fs.copyFileSync(path.join(folder(), 'models', 'shufflenet-v2-12-qdq.onnx'), path.join(folder(), 'models', 'crash-me.onnx'));
    const run = explain(file('models', 'crash-me.onnx'), file('images', 'eagle.jpg'));
    // (the open is sent to the engine as the panel starts running; the crash request follows it on the same channel)
    await until('the open to be sent to the engine', () => api.panels().find((p) => p.target.modelPath.endsWith('crash-me.onnx') && p.running));
    assert.match(await api.crashEngine(), /stopped unexpectedly \(signal SIGABRT/);
    const [s] = await run;
    assert.equal(s.ok, false);
    assert.equal(s.error?.title, 'The explanation engine stopped');
    assert.match(s.error?.message ?? '', /signal SIGABRT.*the next request restarts it/);
    assert.match(s.error?.hint ?? '', /Rerun/);
    // the webview's Rerun button: a new engine explains it
    const again = only(await send(s.panelId, { type: 'rerun' }), 'showResult') as ShowResultMessage;
    assert.equal(again.main.result.target.index, 22);
    assert.notEqual(api.engine().pid, pid);
    // the pelican panel's explanation died with the old engine: its next request opens it again, unseen
    const before = api.panels().find((p) => p.id === pelican.panelId)!.forwardPasses;
    const m = oneSide(await send(pelican.panelId, { type: 'explainClass', classIndex: 144 }));
    assert.equal(m.explanation?.result.target.index, 144);
    const p = api.panels().find((x) => x.id === pelican.panelId)!;
    assert.equal(p.forwardPasses, before + 1, 'one forward pass to restore it');
    assert.equal(p.error, undefined);
  });

  it('a hung engine: the time limit stops the run and the panel says so; Rerun works in a new engine', async () => {
    const cfg = () => vscode.workspace.getConfiguration('cnnFixations');
    await cfg().update('timeLimitSeconds', 3, vscode.ConfigurationTarget.Workspace);
    try {
      assert.equal(oneSide(await send(pelican.panelId, { type: 'explainClass', classIndex: 144 })).explanation?.result.target.index, 144);
      const pid = api.engine().pid;
      api.hangEngine(); // the engine now answers nothing, not even a closed channel
      const t0 = performance.now();
      const [s] = await explain(file('images', 'eagle.jpg'));
      assert.equal(s.ok, false);
      assert.equal(s.error?.title, 'Time limit reached');
      assert.match(s.error?.message ?? '', /longer than the time limit of 3 s/);
      assert.match(s.error?.hint ?? '', /Rerun.*timeLimitSeconds/);
      assert.ok(performance.now() - t0 >= 2900, 'the panel waited for its time limit');
      assert.notEqual(api.engine().pid, pid, 'the hung engine was killed');
      await cfg().update('timeLimitSeconds', undefined, vscode.ConfigurationTarget.Workspace);
      const again = only(await send(s.panelId, { type: 'rerun' }), 'showResult') as ShowResultMessage;
      assert.equal(again.main.result.target.index, 22);
      assert.equal(oneSide(await send(pelican.panelId, { type: 'explainClass', classIndex: 144 })).explanation?.result.target.index, 144);
    } finally {
      await cfg().update('timeLimitSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it("cancelling a run kills the engine; the cancelled panel says so, another panel's next request still works", async () => {
    const model = path.join(folder(), 'models', 'cancel-me.onnx');
    fs.copyFileSync(path.join(folder(), 'models', 'shufflenet-v2-12-qdq.onnx'), model);
    const pid = api.engine().pid;
    const run = explain(vscode.Uri.file(model), file('images', 'pelican.jpeg'));
    const running = await until('the open to be sent to the engine', () => api.panels().find((p) => p.target.modelPath === model && p.running));
    assert.equal(api.cancel(running.id), true, "what the progress notification's Cancel does");
    const [s] = await run;
    assert.equal(s.ok, false);
    assert.equal(s.error?.title, 'Cancelled');
    assert.equal(api.engine().pid, undefined, 'the engine was killed (a new one starts on the next request)');
    const m = only(await send(pelican.panelId, { type: 'selectLayer', layerIndex: 0 }), 'showLayer') as ShowLayerMessage;
    assert.equal(m.detail.classIndex, 144);
    assert.notEqual(api.engine().pid, pid);
    const again = only(await send(s.panelId, { type: 'rerun' }), 'showResult') as ShowResultMessage;
    assert.equal(again.main.result.target.index, 144);
  });

  it('explains each image of a multi-selection in its own panel', async () => {
    const all = await explain(file('images', 'pelican.jpeg'), file('images', 'eagle.jpg'));
    assert.deepEqual(
      all.map((s) => s.target?.index),
      [144, 22],
    );
    assert.notEqual(all[0].panelId, all[1].panelId);
  });
});
