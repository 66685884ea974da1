// The panel's controller (src/panels/controller.ts) on the real pipeline, answered in this process
// (InProcessEngine): the routing of the webview's messages with their ids, a mode change that runs no
// model, "Why A, not B?" (its three sides, what follows it, a reload, an engine restart), a restored class
// the model does not have, exports, and errors as the panel shows them. VS Code's
// integration suite and the browser tests drive the same controller through their adapters.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Body, EngineHandle, RequestOptions } from '../../src/engine/client';
import { InProcessEngine } from '../../src/engine/inprocess';
import type { OpenRequest, Replies } from '../../src/engine/protocol';
import { SettingError, TimedOut } from '../../src/panels/errors';
import { PanelController, type PanelHost } from '../../src/panels/controller';
import type { ErrorMessage, PanelExplanation, PanelState, ShowClassMessage, ShowResultMessage, ToWebview } from '../../src/shared/protocol';
import type { RunOptions } from '../../src/shared/settings';
import { demoModel, pelican } from '../engine/paths';
import { tmpFile } from '../helpers/tmp';

function only<T extends ToWebview['type']>(sent: ToWebview[], type: T): Extract<ToWebview, { type: T }> {
  const hits = sent.filter((m) => m.type === type);
  assert.equal(hits.length, 1, `one '${type}' in ${JSON.stringify(sent.map((m) => m.type))}`);
  return hits[0] as Extract<ToWebview, { type: T }>;
}

/** The in-process engine, made to restart as the engine process does after a crash: handles go stale. It records the opens. */
class RestartingEngine extends InProcessEngine {
  private gen = 1;
  readonly opens: Omit<OpenRequest, 'id'>[] = [];
  override get generation(): number {
    return this.gen;
  }
  override isCurrent(h: EngineHandle | undefined): boolean {
    return !!h && h.generation === this.gen;
  }
  restart(): void {
    this.gen++;
  }
  protected override request<B extends Body>(body: B, o?: RequestOptions): Promise<Replies[B['type']]> {
    if (body.type === 'open') this.opens.push(body);
    return super.request(body, o);
  }
}

/** Each side a showClass changed: [side, class, the class it is explained against (null: none)], undefined for a side cleared. */
const sidesOf = (m: ShowClassMessage) =>
  m.sides.map((s) => [s.side, s.explanation && [s.explanation.result.target.index, s.explanation.result.settings.versus]]);

describe('panel controller (in-process engine, real models)', function () {
  this.timeout(60_000);
  const engine = new RestartingEngine();
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
    assert.deepEqual([cls.id, sidesOf(cls), cls.state.classIndex], [2, [['main', [22, 144]]], 22]);
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
    assert.equal(
      only(await c.receive({ type: 'rerun', id: 5 }), 'showResult').main.result.settings.convMode,
      'center',
      'a bare rerun keeps the panel settings',
    );
    assert.equal(c.info().forwardPasses, 3);
  });

  it('"Why A, not B?": A against B between A and B, from the kept forward pass; a new A keeps B; A = B, another compared class or leaving ends it', async () => {
    const { c } = panel();
    await c.run();
    await c.receive({ type: 'ready', id: 1 });
    const show = async (m: object) => only(await c.receive(m), 'showClass') as ShowClassMessage;
    let m = await show({ type: 'whyNot', id: 2, classIndex: 129 });
    assert.deepEqual(sidesOf(m), [
      ['contrast', [144, 129]],
      ['compare', [129, null]],
    ]);
    const contrast = m.sides[0].explanation!.result;
    assert.deepEqual([contrast.settings.mode, contrast.settings.versusLabel], ['versus', 'spoonbill']);
    assert.equal(m.sides[1].explanation?.result.settings.mode, 'discriminative', "B's own map, in the panel's mode");
    assert.deepEqual([m.id, m.state.classIndex, m.state.compareIndex, m.state.versusIndex], [2, 144, 129, 129]);
    // another explained class: the contrast follows it, against the same B (asked first: if it fails, nothing changed)
    m = await show({ type: 'explainClass', id: 3, classIndex: 22 });
    assert.deepEqual(sidesOf(m), [
      ['contrast', [22, 129]],
      ['main', [22, null]],
    ]);
    assert.deepEqual([m.state.classIndex, m.state.compareIndex, m.state.versusIndex], [22, 129, 129]);
    // a mode explains every side again; the contrast stays A against B
    const moded = only(await c.receive({ type: 'rerun', id: 4, settings: { mode: 'paper' } }), 'showResult') as ShowResultMessage;
    assert.deepEqual(
      (['main', 'contrast', 'compare'] as const).map((s) => [moded[s]?.result.target.index, moded[s]?.result.settings.mode]),
      [
        [22, 'paper'],
        [22, 'versus'],
        [129, 'paper'],
      ],
    );
    // B becomes the explained class: nothing left to contrast or compare
    m = await show({ type: 'explainClass', id: 5, classIndex: 129 });
    assert.deepEqual(sidesOf(m), [
      ['main', [129, null]],
      ['contrast', undefined],
      ['compare', undefined],
    ]);
    assert.deepEqual([m.state.compareIndex, m.state.versusIndex], [undefined, undefined]);
    // another compared class ends the view; comparing B keeps it; leaving clears both
    await show({ type: 'whyNot', id: 6, classIndex: 144 });
    assert.deepEqual(sidesOf(await show({ type: 'compare', id: 7, classIndex: 144 })), [['compare', [144, null]]]);
    assert.equal(c.state.versusIndex, 144);
    assert.deepEqual(sidesOf(await show({ type: 'compare', id: 8, classIndex: 22 })), [
      ['contrast', undefined],
      ['compare', [22, null]],
    ]);
    assert.equal(c.state.versusIndex, undefined);
    await show({ type: 'whyNot', id: 9, classIndex: 144 });
    m = await show({ type: 'whyNot', id: 10 });
    assert.deepEqual(sidesOf(m), [
      ['contrast', undefined],
      ['compare', undefined],
    ]);
    assert.deepEqual([m.state.classIndex, m.state.compareIndex, m.state.versusIndex], [129, undefined, undefined]);
    const refused = only(await c.receive({ type: 'whyNot', id: 11, classIndex: 129 }), 'error') as ErrorMessage;
    assert.match(refused.message, /classIndex 129 is the explained class/);
    assert.equal(c.info().forwardPasses, 1, 'no model ran for any of it');
  });

  it('"Why A, not B?" comes back after a reload, and an engine that restarted opens it again with every side', async () => {
    const { c } = panel();
    c.restore({ classIndex: 22, compareIndex: 3, versusIndex: 144, mode: 'weighted' });
    const s = await c.run();
    assert.ok(s.ok, JSON.stringify(s.error));
    const r = only(await c.receive({ type: 'ready', id: 1 }), 'showResult') as ShowResultMessage;
    const at = (x: PanelExplanation | undefined) => x && [x.result.target.index, x.result.settings.mode, x.result.settings.versus];
    assert.deepEqual(
      [at(r.main), at(r.contrast), at(r.compare)],
      [
        [22, 'weighted', null],
        [22, 'versus', 144],
        [144, 'weighted', null],
      ],
      'the compared class is B',
    );
    assert.deepEqual<Partial<PanelState>>({ compareIndex: r.state.compareIndex, versusIndex: r.state.versusIndex }, { compareIndex: 144, versusIndex: 144 });
    engine.restart();
    const layer = only(await c.receive({ type: 'selectLayer', id: 2, layerIndex: 0 }), 'showLayer');
    assert.equal(layer.detail.classIndex, 22);
    const reopened = engine.opens.at(-1)!;
    assert.deepEqual(
      [reopened.main, reopened.compare, reopened.contrast],
      [
        { classIndex: 22, mode: 'weighted' },
        { classIndex: 144, mode: 'weighted' },
        { classIndex: 22, versus: 144, mode: 'weighted' },
      ],
    );
    assert.equal(c.info().forwardPasses, 2, 'the reopen is the one forward pass after the first');
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

  it('stops a run at the time limit as Cancel does (the signal that kills the engine), says so, and a rerun works', async () => {
    // an engine that never answers an open, as a hung onnxruntime would not, until the run's signal aborts it
    let hang = true;
    class HungEngine extends InProcessEngine {
      protected override request<B extends Body>(body: B, o: RequestOptions = {}): Promise<Replies[B['type']]> {
        if (body.type !== 'open' || !hang) return super.request(body, o);
        return new Promise((_, reject) => o.signal?.addEventListener('abort', () => reject(o.signal!.reason as Error)));
      }
    }
    const hung = new HungEngine();
    const host: PanelHost = {
      post: () => undefined,
      log: () => undefined,
      settings: () => ({ timeLimit: 1 }),
      progress: (_t, work) => work(() => undefined),
      saveAs: async () => undefined,
      remember: () => undefined,
    };
    const c = new PanelController(nextId++, { modelPath: demoModel, imagePath: pelican }, hung, host);
    const t0 = performance.now();
    const s = await c.run();
    assert.ok(performance.now() - t0 < 30_000, 'stopped, not left hanging');
    assert.equal(s.ok, false);
    assert.equal(s.error?.title, 'Time limit reached');
    assert.equal(s.error?.message, new TimedOut(1).message);
    assert.match(s.error?.hint ?? '', /Rerun.*cnnFixations\.timeLimitSeconds \(0: no limit\)/);
    hang = false;
    const again = await c.run();
    assert.ok(again.ok, JSON.stringify(again.error));
    assert.equal(again.target?.index, 144);
    await hung.dispose();
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
