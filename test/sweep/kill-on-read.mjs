// Loaded into a sweep's workers by cli.test.ts (CNN_FIXATIONS_WORKER_NODE_ARGS="--import THIS"): a worker that
// reads the image named by CNN_FIXATIONS_TEST_KILL_ON (a path ending) dies at once with SIGKILL, as one would
// in a native crash of onnxruntime on that image.
import fs from 'node:fs';

const target = process.env.CNN_FIXATIONS_TEST_KILL_ON;
const read = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  if (target && typeof file === 'string' && file.endsWith(target)) process.kill(process.pid, 'SIGKILL');
  return read.call(this, file, ...rest);
};
