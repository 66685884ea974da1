// The engine's test-only faults (CNN_FIXATIONS_ENGINE_TEST=1): each ends the process as a real failure would,
// so the host's recovery is tested against the real thing. abort: a native crash inside onnxruntime. oom: V8's
// heap filled until it gives up (run the engine with a small --max-old-space-size in NODE_OPTIONS to make it
// quick). hang: a synchronous loop that never returns, as a runaway native call would; the engine stops
// answering, even its IPC channel's disconnect, and only a kill ends it.
import type { CrashKind } from './protocol';

export function fault(how: CrashKind): never {
  switch (how) {
    case 'abort':
      return process.abort();
    case 'oom': {
      const hoard: number[][] = [];
      for (;;) hoard.push(Array.from({ length: 1 << 16 }, (_, i) => i + hoard.length));
    }
    case 'hang':
      for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    default: {
      const never: never = how;
      throw new Error(`unknown fault ${String(never)}`);
    }
  }
}
