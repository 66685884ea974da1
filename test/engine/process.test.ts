// The engine as a process: the host's event loop stays free while it works, a crash (a real abort) rejects
// what was pending and the next request starts a new engine, cancelling kills in-flight work, dispose
// stops it. Also: the extension host's bundle carries none of the pipeline.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EngineClient, EngineError, EngineOutOfMemory, StaleHandle } from '../../src/engine/client';
import { errorMessage } from '../../src/panels/errors';
import { Explainer } from '../../src/explain';
import { SessionCache } from '../../src/runtime/session';
import { fixturePath } from '../../src/fixtures';
import { repo } from '../helpers/tmp';
import { demoModel, enginePath, pelican } from './paths';

const bigModel = fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx');
const bigImage = fixturePath('images/giraffe.jpg');
const fp32Shuffle = fixturePath('models/shufflenet-v2-12-dequantized-fp32.onnx');

/** Watches the event loop while `work` runs: a 10 ms interval's ticks, the longest gap between them, and the loop delay. */
async function watchLoop<T>(work: () => Promise<T>): Promise<{ value: T; ticks: number; maxGapMs: number; elapsedMs: number; p99Ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 10);
  const t0 = performance.now();
  try {
    const value = await work();
    maxGapMs = Math.max(maxGapMs, performance.now() - last);
    return { value, ticks, maxGapMs, elapsedMs: performance.now() - t0, p99Ms: h.percentile(99) / 1e6 };
  } finally {
    clearInterval(timer);
    h.disable();
  }
}

/** Resolves once process `pid` no longer exists. */
async function gone(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether process `pid` runs (a zombie left unreaped by the container's init counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

function settles(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('explanation engine: the process', function () {
  this.timeout(180_000);

  it('keeps the host event loop free while a big explanation runs (in-process, the loop stops)', async () => {
    // before: the pipeline in this process, as the extension host ran it
    const cache = new SessionCache();
    const inProcess = await watchLoop(async () => {
      const e = await Explainer.create(bigModel, { image: bigImage }, {}, cache);
      return e.explain();
    });
    await cache.dispose();
    // after: the same work in the engine (started beforehand, so the fork is not counted)
    const client = new EngineClient({ enginePath });
    try {
      await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
      const inEngine = await watchLoop(() => client.open(2, { modelPath: bigModel, imagePath: bigImage, options: {} }));
      const t = inEngine.value.main.result.timings;
      const sync = t.unravelMs + t.heatmapMs;
      console.log(
        `      host event loop during a new-session explanation of giraffe.jpg (fp32 MobileNetV2): ` +
          `in-process ${inProcess.elapsedMs.toFixed(0)} ms, longest stall ${inProcess.maxGapMs.toFixed(0)} ms, ${inProcess.ticks} ticks of 10 ms; ` +
          `engine ${inEngine.elapsedMs.toFixed(0)} ms, longest stall ${inEngine.maxGapMs.toFixed(0)} ms, ${inEngine.ticks} ticks, loop delay p99 ${inEngine.p99Ms.toFixed(0)} ms ` +
          `(the engine's synchronous walk + heat map: ${sync.toFixed(0)} ms)`,
      );
      assert.equal(inEngine.value.main.result.target.index, inProcess.value.json.target.index, 'the same answer');
      // Relative, not absolute: a loaded machine slows both runs alike. In-process, decoding, session creation
      // and the walk stall the loop for hundreds of milliseconds; through the engine only messages arrive.
      assert.ok(
        inEngine.maxGapMs < inProcess.maxGapMs / 2,
        `the host's longest stall: ${inEngine.maxGapMs.toFixed(0)} ms with the engine vs ${inProcess.maxGapMs.toFixed(0)} ms in-process`,
      );
      assert.ok(inEngine.ticks >= 10, `the host's timers kept firing (${inEngine.ticks} ticks)`);
    } finally {
      client.dispose();
    }
  });

  it('a crash rejects every pending request with EngineError; the next request starts a new engine', async () => {
    const client = new EngineClient({ enginePath, env: { CNN_FIXATIONS_ENGINE_TEST: '1' } });
    try {
      const first = await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
      const pid = client.pid!;
      const generation = client.generation;
      // an open in flight, then the crash (process.abort(), as a native fault would end it)
      const pending = settles(client.open(2, { modelPath: bigModel, imagePath: bigImage, options: {} }));
      const crash = settles(client.crash());
      for (const e of [await pending, await crash]) {
        assert.ok(e instanceof EngineError, String(e));
        assert.match(e.message, /^the explanation engine stopped unexpectedly \(signal SIGABRT\b.*\); the next request restarts it$/);
        assert.equal(e.retryable, false);
      }
      await gone(pid);
      assert.equal(client.pid, undefined);
      // what the dead engine held is stale: its owner must open it again
      assert.equal(client.isCurrent(first.handle), false);
      await assert.rejects(client.explain(first.handle, 'main', { classIndex: 22 }), StaleHandle);
      const again = await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {}, main: { classIndex: 22 } });
      assert.equal(again.main.result.target.index, 22);
      assert.notEqual(client.pid, pid);
      assert.equal(client.generation, generation + 1);
      assert.equal(again.sessionCached, false, 'a new engine opens the session anew');
      assert.equal((await client.explain(again.handle, 'main', { classIndex: 144 })).explanation?.result.target.index, 144);
    } finally {
      client.dispose();
    }
  });

  it('an engine out of memory (V8 heap limit) says so, not its native stack; the next request starts a new engine', async () => {
    // a 64 MB heap so that the test-only fault fills it in a moment (the same abort a too large run would meet)
    const logs: string[] = [];
    const client = new EngineClient({
      enginePath,
      env: { CNN_FIXATIONS_ENGINE_TEST: '1', NODE_OPTIONS: '--max-old-space-size=64' },
      log: (_, m) => logs.push(m),
    });
    try {
      const held = await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
      const pid = client.pid!;
      const fault = settles(client.crash('oom'));
      const pending = settles(client.explain(held.handle, 'main', { classIndex: 22 }));
      const e = await fault;
      assert.ok(e instanceof EngineOutOfMemory, String(e));
      assert.match(
        e.message,
        /^the explanation engine ran out of memory \(its JavaScript heap is full; (signal SIGABRT|exit code \d+)\); the next request restarts it$/,
      );
      assert.doesNotMatch(e.message, /0x[0-9a-f]+|node::|FATAL/, 'no native stack in the message');
      // a request queued behind the fault is answered too (with the same reason, not left waiting)
      assert.ok((await pending) instanceof EngineOutOfMemory);
      assert.ok(
        logs.some((l) => /JavaScript heap out of memory/.test(l)),
        "V8's own words stay in the log",
      );
      const shown = errorMessage(e);
      assert.equal(shown.title, 'The explanation engine ran out of memory');
      assert.match(shown.hint ?? '', /Rerun.*memoryLimitMB/);
      await gone(pid);
      const again = await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
      assert.equal(again.main.result.target.index, 144);
      assert.notEqual(client.pid, pid);
    } finally {
      client.dispose();
    }
  });

  it('an engine killed from outside (SIGKILL, as the system OOM killer does) is reported as likely out of memory', async () => {
    const client = new EngineClient({ enginePath });
    try {
      await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
      const pid = client.pid!;
      const pending = settles(client.open(2, { modelPath: bigModel, imagePath: bigImage, options: {} }));
      process.kill(pid, 'SIGKILL');
      const e = await pending;
      assert.ok(e instanceof EngineOutOfMemory, String(e));
      assert.match(e.message, /killed from outside \(signal SIGKILL\), most often by the system when memory runs out/);
      assert.equal((await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} })).main.result.target.index, 144);
    } finally {
      client.dispose();
    }
  });

  it('a hung engine (answers nothing, not even its channel) is stopped by the time limit; the next request starts a new engine', async () => {
    const client = new EngineClient({ enginePath, env: { CNN_FIXATIONS_ENGINE_TEST: '1' } });
    try {
      const held = await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
      const pid = client.pid!;
      void settles(client.crash('hang'));
      // what the panel does: its run carries the time limit's signal (cnnFixations.timeLimitSeconds)
      const limit = AbortSignal.timeout(2000);
      const t0 = performance.now();
      const e = await settles(client.explain(held.handle, 'main', { classIndex: 22 }, { signal: limit }));
      assert.equal(e, limit.reason, 'the request rejects with the time limit');
      assert.ok(performance.now() - t0 >= 1900, 'it was waiting, not refused');
      await gone(pid); // killed: a hung engine does not exit of itself
      assert.equal(client.isCurrent(held.handle), false);
      const again = await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
      assert.equal(again.main.result.target.index, 144);
      assert.notEqual(client.pid, pid);
      // dispose kills a hung engine too (SIGKILL, no goodbye needed)
      void settles(client.crash('hang'));
      const hung = client.pid!;
      await new Promise((r) => setTimeout(r, 200));
      client.dispose();
      await gone(hung);
    } finally {
      client.dispose();
    }
  });

  for (const hang of [false, true]) {
    it(`the host killed with SIGKILL: ${hang ? 'a hung engine (its thread stuck, deaf to its channel) is ended by its watchdog thread' : 'an idle engine exits on its channel closing'} within seconds`, async () => {
      const host = spawn(process.execPath, [path.join(repo, 'out', 'test', 'engine', 'orphan-host.js'), ...(hang ? ['hang'] : [])], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          let out = '';
          host.stdout.setEncoding('utf8').on('data', (d: string) => (out += d).includes('\n') && resolve(out));
          host.on('exit', (code) => reject(new Error(`the host exited (${code}) before starting the engine`)));
        });
        const engine = Number(/^engine (\d+)/.exec(line)![1]);
        assert.ok(alive(engine), 'the engine runs');
        host.kill('SIGKILL');
        const t0 = performance.now();
        while (alive(engine) && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
        assert.equal(alive(engine), false, `engine ${engine} still runs ${((performance.now() - t0) / 1000).toFixed(1)} s after its host was killed`);
      } finally {
        host.kill('SIGKILL');
      }
    });
  }

  it('cancelling kills in-flight work (onnxruntime and all); other requests reject as retryable; the next request works', async () => {
    const client = new EngineClient({ enginePath });
    try {
      const held = await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
      const pid = client.pid!;
      const controller = new AbortController();
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const reason = new Error('cancelled by the user');
      // a new fp32 session and its forward pass: seconds of native work, stopped at its first progress report
      const cancelled = settles(
        client.open(2, { modelPath: fp32Shuffle, imagePath: bigImage, options: {} }, { signal: controller.signal, onProgress: () => started() }),
      );
      const bystander = settles(client.open(3, { modelPath: bigModel, imagePath: bigImage, options: {} }));
      await running;
      controller.abort(reason);
      assert.equal(await cancelled, reason, 'the cancelled request rejects with the abort reason');
      const other = await bystander;
      assert.ok(other instanceof EngineError && other.retryable, `another panel's request may ask again: ${String(other)}`);
      await gone(pid);
      assert.equal(client.isCurrent(held.handle), false, 'handles on the killed engine are stale');
      const next = await client.open(2, { modelPath: demoModel, imagePath: pelican, options: {} });
      assert.equal(next.main.result.target.index, 144);
      assert.notEqual(client.pid, pid);
      // an already aborted signal never reaches the engine
      const pid2 = client.pid;
      await assert.rejects(client.explain(next.handle, 'main', { classIndex: 1 }, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
      assert.equal(client.pid, pid2);
    } finally {
      client.dispose();
    }
  });

  it('dispose stops the engine; later requests fail clearly', async () => {
    const client = new EngineClient({ enginePath });
    await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
    const pid = client.pid!;
    client.dispose();
    await gone(pid);
    await assert.rejects(
      client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} }),
      (e: unknown) => e instanceof EngineError && /shut down/.test(e.message),
    );
  });

  it('an extension host that dies (SIGKILL) leaves no engine behind', async () => {
    // a stand-in host: a Node process with a client that opened the demo, killed without any cleanup
    const script = `
      const { EngineClient } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'engine', 'client.js'))});
      const c = new EngineClient({ enginePath: ${JSON.stringify(enginePath)} });
      c.open(1, { modelPath: ${JSON.stringify(demoModel)}, imagePath: ${JSON.stringify(pelican)}, options: {} }).then(() => console.log(c.pid));
      setInterval(() => {}, 1000);`;
    const host = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      host.stdout.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
      host.once('exit', (code) => reject(new Error(`the stand-in host exited (${code}) before its engine answered`)));
    });
    assert.ok(Number.isInteger(pid) && pid > 0);
    host.kill('SIGKILL');
    await gone(pid); // the engine sees its IPC channel close and exits
  });

  it('a missing engine bundle is a clear error, not a crash', async () => {
    const client = new EngineClient({ enginePath: path.join(repo, 'dist', 'no-engine.js') });
    await assert.rejects(client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} }), /no-engine\.js is missing: run `npm run build`/);
  });

  it('dist/engine.js run by hand says what it is, without a stack trace', () => {
    const r = spawnSync(process.execPath, [enginePath], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /explanation engine.*dist\/cli\.js/);
    assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/);
  });

  it("the extension host's bundle loads none of the pipeline (no onnxruntime, no jimp, no explain)", () => {
    const host = fs.readFileSync(path.join(repo, 'dist', 'extension.js'), 'utf8');
    assert.doesNotMatch(host, /require\("onnxruntime-node"\)/);
    assert.doesNotMatch(host, /jimp/i);
    assert.doesNotMatch(host, /\bExplainer\b/);
    assert.match(host, /engine\.js/, 'it forks the engine');
    const engine = fs.readFileSync(enginePath, 'utf8');
    assert.match(engine, /require\("onnxruntime-node"\)/);
    assert.match(engine, /\bExplainer = class\b/);
  });
});
