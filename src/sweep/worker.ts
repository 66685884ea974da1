// A sweep worker (dist/sweep-worker.js), forked by the pool (pool.ts): its own onnxruntime session, opened as
// soon as the settings come (while the coordinator is still scanning the folder), then one image at a time, their
// results lines sent in batches (pool.ts: BATCH lines, or fewer when it has no image left); at the end, the
// pictures of the listed mistakes it is asked to draw. It writes nothing: the coordinator alone writes
// results.jsonl, whole lines only, so an interrupted sweep leaves a valid file.
import * as fs from 'node:fs';
import { SessionCache } from '../runtime/session';
import { explainItem } from './item';
import { BATCH, type Answered, type FromWorker, type Queued, type ToWorker } from './pool';
import { mistakeThumbnails } from './thumbnails';
import { mark } from './timeline';

mark('worker loaded');

if (!process.send) {
  console.error('dist/sweep-worker.js explains images for `cnn-fixations sweep`, which starts it (child_process.fork); run the sweep instead.');
  process.exit(2);
}

let config: Extract<ToWorker, { type: 'init' }> | undefined;
let cache: SessionCache | undefined;
/** Opening the session; the images wait for it. */
let opening: Promise<void> = Promise.resolve();
/** Images to explain, in the order they came; their lines not sent yet. */
const pending: Queued[] = [];
let answered: Answered[] = [];
/** Mistakes to draw, after the images. */
const draws: Extract<ToWorker, { type: 'draw' }>[] = [];
let working = false;
let explained = 0;

const send = (m: FromWorker) => {
  if (process.connected) process.send!(m);
};

process.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    mark('worker init');
    config = m;
    const c = (cache = new SessionCache({ intraOpNumThreads: m.threads }));
    // Open the model now; if that fails, the first image opens it again and its line says why.
    opening = opening.then(async () => {
      try {
        await c.get(m.model, fs.statSync(m.model));
        mark('worker session open');
      } catch {
        // said on the first image's line
      }
    });
    return;
  }
  if (m.type === 'draw') draws.push(m);
  else pending.push(...m.items);
  void work();
});

/** Explains the pending images one after the other, sending their lines every BATCH and when none is left; then draws. */
async function work(): Promise<void> {
  if (working) return;
  working = true;
  await opening;
  for (;;) {
    const next = pending.shift();
    if (next) {
      if (!config || !cache) throw new Error('a sweep worker got an image before its settings');
      answered.push({ seq: next.seq, ...(await explainItem(config.model, next.item, config.options, cache)) });
      if (explained++ < 2) mark(`worker explained item ${explained - 1}`);
      if (answered.length >= BATCH || !pending.length) {
        send({ type: 'lines', results: answered });
        answered = [];
      }
      continue;
    }
    const d = draws.shift();
    if (!d) break;
    const pictures = await mistakeThumbnails(d.root, d.line).catch((e: unknown) => `cannot draw it: ${(e as Error).message}`);
    send({ type: 'drawn', path: d.line.path, pictures });
  }
  working = false;
}
// The coordinator went away (finished, interrupted, killed): nothing is left to do.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal reaches the whole process group: the coordinator decides what happens, the worker just stops.
process.on('SIGINT', () => process.exit(130));
