// The explanation engine's process (dist/engine.js), forked by the extension host (src/engine/client.ts).
// It owns everything heavy or native: image decoding (jimp), onnxruntime sessions and forward passes, the
// unravel walk, heat maps and exports. The host's event loop stays free, a native crash takes down only
// this process, and killing it really stops an onnxruntime run (the progress notification's Cancel).
import { Engine } from './engine';
import { toFailure } from './failure';
import { fault } from './faults';
import type { EngineRequest, FromEngine } from './protocol';
import { watchParent } from './watchdog';

if (!process.send) {
  console.error(
    "dist/engine.js is CNN Fixations' explanation engine: the VS Code extension starts it with an IPC channel (child_process.fork). To explain from a terminal, use dist/cli.js.",
  );
  process.exit(2);
}

function send(m: FromEngine): void {
  if (process.connected) process.send!(m);
}

const engine = new Engine({
  log: (level, message) => send({ type: 'log', level, message }),
  progress: (id, message) => send({ type: 'progress', id, message }),
  // Only under test: a real abort, out-of-memory or hang, as a native crash, a too large run or a runaway call would.
  crash: process.env.CNN_FIXATIONS_ENGINE_TEST === '1' ? fault : undefined,
});

async function answer(r: EngineRequest): Promise<void> {
  const reply = await engine.answer(r);
  try {
    send(reply);
  } catch (e) {
    // e.g. a value structured clone cannot carry: the request must still get an answer
    send({ type: 'failed', id: r.id, failure: toFailure(new Error(`the engine could not send its answer to '${r.type}': ${(e as Error).message}`)) });
  }
}

process.on('message', (m: unknown) => {
  const r = m as Partial<EngineRequest> | null;
  if (typeof r !== 'object' || r === null || typeof r.id !== 'number' || typeof r.type !== 'string') {
    send({ type: 'log', level: 'warn', message: `the engine ignored a message that is not a request: ${JSON.stringify(m)?.slice(0, 200)}` });
    return;
  }
  void answer(r as EngineRequest);
});
// The extension host went away (closed, reloaded, crashed): no orphaned engine. The channel's disconnect says so
// when the engine is idle; the watchdog's thread when it is busy (or hung) and hears nothing.
process.on('disconnect', () => process.exit(0));
watchParent();
send({ type: 'started', pid: process.pid, node: process.version });
