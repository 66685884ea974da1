// The panel's controller (src/panels/controller.ts) on the real pipeline, answered in this process
// (InProcessEngine): the routing of the webview's messages with their ids, a mode change that runs no
// model, a restored class the model does not have, exports, and errors as the panel shows them. VS Code's
// integration suite and the browser tests drive the same controller through their adapters.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InProcessEngine } from '../../src/engine/inprocess';
import { SettingError } from '../../src/panels/errors';
import { PanelController, type PanelHost } from '../../src/panels/controller';
import type { ErrorMessage, ShowClassMessage, ShowResultMessage, ToWebview } from '../../src/shared/protocol';
import type { RunOptions } from '../../src/shared/settings';
import { demoModel, pelican } from '../engine/paths';
import { tmpFile } from '../helpers/tmp';

function only<T extends ToWebview['type']>(sent: ToWebview[], type: T): Extract<ToWebview, { type: T }> {
  const hits = sent.filter((m) => m.type === type);
  assert.equal(hits.length, 1, `one '${type}' in ${JSON.stringify(sent.map((m) => m.type))}`);
  return hits[0] as Extract<ToWebview, { type: T }>;
}

describe('panel controller (in-process engine, real models)', function () {
  this.timeout(60_000);
  const engine = new InProcessEngine();
  let nextId = 1;
  after(() => engine.dispose());

  /** A controller with a recording host; `settings` stands for the user's. */
  function panel(settings: () => RunOptions = () => ({})) {
    const delivered: ToWebview[] = [];
    const saved: string[] = [];
    let saveTo: string | undefined = tmpFile(`export-${nextId}.png`);
    const host: PanelHost = {
      post: (m) => void delivered.push(m),
      log: () => undefined,
      settings,
      progress: (_title, work) => work(() => undefined),
      saveAs: async (_kind, suggested) => (saved.push(suggested), saveTo),
      remember: () => undefined,
    };
    const c = new PanelController(nextId++, { modelPath: demoModel, imagePath: pelican }, engine, host);
    return { c, delivered, saved, dismissDialog: () => (saveTo = undefined) };
  }

  it('answers each request with replies that carry its id, and delivers nothing before the webview is ready', async () => {
    const { c, delivered } = panel();
    const s = await c.run();
    assert.ok(s.ok, JSON.stringify(s.error));
    assert.equal(s.target?.index, 144);
    assert.equal(delivered.length, 0, 'the webview has not said ready');
    const ready = only(await c.receive({ type: 'ready', id: 1 }), 'showResult');
    assert.equal(ready.id, 1);
    assert.equal(ready.main.result.target.index, 144);
    assert.equal(ready.state.mode, 'discriminative', 'the declared default mode');
    const cls = only(await c.receive({ type: 'explainClass', id: 2, classIndex: 22, versus: 144 }), 'showClass') as ShowClassMessage;
    assert.deepEqual([cls.id, cls.side, cls.explanation?.result.target.index, cls.state.classIndex], [2, 'main', 22, 22]);
    const layer = only(await c.receive({ type: 'selectLayer', id: 3, layerIndex: 0 }), 'showLayer');
    assert.deepEqual([layer.id, layer.detail.classIndex], [3, 22]);
    assert.equal(c.info().forwardPasses, 1, 'class switches and layers ran no model');
    assert.deepEqual(
      delivered.map((m) => m.type),
      ['showResult', 'showClass', 'showLayer'],
    );
  });

  it('a mode change explains the shown classes again without a forward pass; other settings run the model', async () => {
    const { c } = panel();
    await c.run();
    await c.receive({ type: 'ready', id: 1 });
    await c.receive({ type: 'compare', id: 2, classIndex: 129 });
    const moded = only(await c.receive({ type: 'rerun', id: 3, settings: { mode: 'paper' } }), 'showResult') as ShowResultMessage;
    assert.equal(moded.id, 3);
    assert.equal(moded.state.mode, 'paper');
    assert.deepEqual([moded.main.result.target.index, moded.compare?.result.target.index], [144, 129], 'both sides explained again');
    assert.equal(c.info().forwardPasses, 1, 'no model ran for the mode');
    const rerun = only(await c.receive({ type: 'rerun', id: 4, settings: { convMode: 'center' } }), 'showResult') as ShowResultMessage;
    assert.equal(rerun.main.result.settings.convMode, 'center');
    assert.equal(rerun.state.mode, 'paper', 'the mode stays');
    assert.equal(rerun.compare?.result.target.index, 129, 'the compared class stays');
    assert.equal(c.info().forwardPasses, 2, 'a conv rule change runs the model');
    assert.equal(only(await c.receive({ type: 'rerun', id: 5 }), 'showResult').main.result.settings.convMode, 'center', 'a bare rerun keeps the panel settings');
    assert.equal(c.info().forwardPasses, 3);
  });

  it('refuses what fails validation with an error carrying the request id, and keeps the result', async () => {
    const { c } = panel();
    await c.run();
    for (const [msg, why] of [
      [{ type: 'explainClass', id: 7, classIndex: 1000 }, /classIndex 1000 is out of range: the model has 1000 classes/],
      [{ type: 'explainClass', id: 8, classIndex: 3, versus: -2 }, /versus -2 is out of range/],
      [{ type: 'rerun', id: 9, settings: { mode: 'everything' } }, /settings.mode must be one of discriminative, weighted, paper/],
    ] as const) {
      const e = only(await c.receive(msg), 'error') as ErrorMessage;
      assert.equal(e.id, msg.id);
      assert.equal(e.title, 'Invalid request from the panel');
      assert.match(e.message, why);
    }
    const noId = only(await c.receive({ type: 'ready' }), 'error') as ErrorMessage;
    assert.equal(noId.id, undefined);
    assert.match(noId.message, /'ready' request needs an id/);
    assert.equal(c.info().error, undefined);
    assert.equal(c.state.classIndex, 144);
  });

  it('a restored class the model does not have is refused with a way out: Rerun explains the top-1', async () => {
    const { c } = panel();
    c.restore({ classIndex: 1500, compareIndex: 3, mode: 'weighted' });
    const s = await c.run();
    assert.equal(s.ok, false);
    assert.equal(s.error?.title, 'Out of range');
    assert.match(s.error?.message ?? '', /class 1500 is out of range: the model has 1000 classes/);
    assert.match(s.error?.hint ?? '', /Rerun to explain the top-1/);
    const again = only(await c.receive({ type: 'rerun', id: 1 }), 'showResult') as ShowResultMessage;
    assert.equal(again.main.result.target.index, 144);
    assert.equal(again.compare, undefined);
    assert.equal(again.state.mode, 'weighted', 'the restored mode stays');
  });

  it('exports where the host says, through the one renderer; a dismissed dialog writes nothing', async () => {
    const { c, saved, dismissDialog } = panel();
    await c.run();
    const overlay = { heat: true, points: true, box: false, opacity: 0.5 };
    const done = only(await c.receive({ type: 'export', id: 4, kind: 'png', overlay }), 'exported');
    assert.equal(done.id, 4);
    assert.equal(path.basename(saved[0]), 'pelican.class144-pelican.cnn-fixations.png');
    assert.deepEqual([...fs.readFileSync(done.path).subarray(1, 4)], [...Buffer.from('PNG')]);
    dismissDialog();
    assert.deepEqual(await c.receive({ type: 'export', id: 5, kind: 'json', overlay }), []);
  });

  it("shows a setting that cannot be used as the panel's error", async () => {
    const { c } = panel(() => {
      throw new SettingError('cnnFixations.mode', 'the setting cnnFixations.mode must be one of discriminative, weighted, paper, got "x"');
    });
    const s = await c.run();
    assert.equal(s.error?.title, 'Invalid setting');
    assert.match(s.error?.hint ?? '', /Fix cnnFixations\.mode/);
  });
});
