// A closed panel leaves nothing in the engine: whatever of its work is still queued or in flight when it
// closes (a layer the webview asked for just before the close, a run, a reopen after an engine restart)
// neither opens an explanation again nor keeps one that lands late. Found by the VS Code soak: a webview
// message and the panel's close arrive together, the request runs after dispose(), finds no handle and
// reopened one (a forward pass) that nobody released. The controller with a stand-in host, on the real
// engine process (dist/engine.js), whose counters say what it holds.
import { strict as assert } from 'node:assert';
import { EngineClient } from '../../src/engine/client';
import type { EngineStats } from '../../src/engine/protocol';
import { PanelController, type PanelHost } from '../../src/panels/controller';
import { demoModel, enginePath, pelican } from '../engine/paths';

describe('panel controller: a closed panel leaves nothing in the engine (engine process)', function () {
  this.timeout(120_000);
  const engine = new EngineClient({ enginePath });
  let nextId = 1;
  after(() => engine.dispose());

  const host: PanelHost = {
    post: () => undefined,
    log: () => undefined,
    settings: () => ({}),
    progress: (_title, work) => work(() => undefined),
    saveAs: async () => undefined,
    remember: () => undefined,
  };

  /** A panel that has explained (its webview ready), and the engine's forward passes before it. */
  async function explained(): Promise<{ c: PanelController; passesBefore: number }> {
    const passesBefore = engine.stats?.forwardPasses ?? 0;
    const c = new PanelController(nextId++, { modelPath: demoModel, imagePath: pelican }, engine, host);
    const s = await c.run();
    assert.ok(s.ok, JSON.stringify(s.error));
    await c.receive({ type: 'ready', id: 1 });
    return { c, passesBefore };
  }

  /** The engine's counters once everything sent before has been answered (a release of no handle is answered in order). */
  async function counters(): Promise<EngineStats> {
    await engine.release({ id: -1, generation: engine.generation });
    return engine.stats!;
  }

  it('a request handled after the close (sent just before it) opens nothing again', async () => {
    const { c, passesBefore } = await explained();
    // as VS Code delivers them in one batch: the webview's message, then the panel's close
    const replies = c.receive({ type: 'selectLayer', id: 2, layerIndex: 0 });
    c.dispose();
    await replies;
    const stats = await counters();
    assert.equal(stats.handles, 0, 'the engine holds nothing for the closed panel');
    assert.equal(stats.forwardPasses - passesBefore, 1, 'no forward pass after the first (no reopen)');
    assert.equal(c.info().handle, undefined);
  });

  it('a run in flight when the panel closes is released when it lands', async () => {
    const passesBefore = (await counters()).forwardPasses;
    const c = new PanelController(nextId++, { modelPath: demoModel, imagePath: pelican }, engine, host);
    const run = c.run();
    await new Promise((r) => setTimeout(r, 20)); // the open is in the engine
    c.dispose();
    const s = await run;
    assert.equal(s.ok, false, 'a closed panel shows no result');
    const stats = await counters();
    assert.equal(stats.handles, 0, 'the engine holds nothing for the closed panel');
    assert.equal(stats.forwardPasses - passesBefore, 1);
  });

  it('a reopen in flight (the engine restarted) when the panel closes is released when it lands', async () => {
    const { c } = await explained();
    engine.cancelAll(); // the engine stops (another panel's run cancelled): this panel's handle is stale
    const replies = c.receive({ type: 'selectLayer', id: 2, layerIndex: 0 });
    // the reopen's open is in the new engine (which is starting), then the panel closes
    for (let i = 0; i < 200 && engine.pid === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(engine.pid, 'the reopen started an engine');
    c.dispose();
    await replies;
    const stats = await counters();
    assert.equal(stats.handles, 0, 'the engine holds nothing for the closed panel');
    assert.equal(stats.forwardPasses, 1, "the new engine's one forward pass: the reopen, nothing after it");
    assert.equal(c.info().handle, undefined);
  });
});
