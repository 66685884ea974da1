// A sweep worker (dist/sweep-worker.js), forked by the pool (pool.ts): its own onnxruntime session, opened as
// soon as the settings come (while the coordinator is still scanning the folder), then one image at a time,
// each answered with its results line. It writes nothing: the coordinator alone writes
// results.jsonl, one whole line at a time, so an interrupted sweep leaves a valid file.
import * as fs from 'node:fs';
import { SessionCache } from '../runtime/session';
import { explainItem } from './item';
import type { FromWorker, ToWorker } from './pool';
import { mark } from './timeline';

mark('worker loaded');

if (!process.send) {
  console.error('dist/sweep-worker.js explains images for `cnn-fixations sweep`, which starts it (child_process.fork); run the sweep instead.');
  process.exit(2);
}

let config: Extract<ToWorker, { type: 'init' }> | undefined;
let cache: SessionCache | undefined;
/** Items are explained one after the other, in the order they came. */
let queue: Promise<void> = Promise.resolve();

const send = (m: FromWorker) => {
  if (process.connected) process.send!(m);
};

process.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    mark('worker init');
    config = m;
    const c = (cache = new SessionCache({ intraOpNumThreads: m.threads }));
    // Open the model now; if that fails, the first image opens it again and its line says why.
    queue = queue.then(async () => {
      try {
        await c.get(m.model, fs.statSync(m.model));
        mark('worker session open');
      } catch {
        // said on the first image's line
      }
    });
    return;
  }
  queue = queue.then(async () => {
    if (!config || !cache) throw new Error('a sweep worker got an image before its settings');
    const r = await explainItem(config.model, m.item, config.options, cache, m.bar);
    if (m.seq < 2) mark(`worker explained item ${m.seq}`);
    send({ type: 'line', seq: m.seq, ...r });
  });
});
// The coordinator went away (finished, interrupted, killed): nothing is left to do.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal reaches the whole process group: the coordinator decides what happens, the worker just stops.
process.on('SIGINT', () => process.exit(130));
