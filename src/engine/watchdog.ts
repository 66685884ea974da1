// The engine ends when the process that started it (the extension host) is gone, even when its own JavaScript
// thread is stuck in a long native run or a runaway loop and so never hears its IPC channel close: a worker
// thread polls the parent's pid, and when the engine has been handed to another parent (the host died) it kills
// the whole process. Nothing is lost: the host that would read the answer is gone.
import { Worker } from 'node:worker_threads';

/** How often the worker looks at the parent, in ms. */
const POLL_MS = 500;

// The worker's code, inline so the engine stays one bundle. process.ppid is read afresh on each access.
const source = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(workerData.self, 'SIGKILL');
}, workerData.pollMs);
`;

/** Starts the watch; it never keeps the engine alive by itself. */
export function watchParent(): void {
  const w = new Worker(source, { eval: true, workerData: { parent: process.ppid, self: process.pid, pollMs: POLL_MS } });
  w.unref();
}
