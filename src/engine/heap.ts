// V8's heap settings for the processes that explain: the engine (client.ts), the CLI's worker (cli/supervise.ts)
// and the bench's children, which measure what those run.
//
// An explanation's JavaScript heap is small (10–20 MB: the graph, the walk's points), so V8's first limits on the
// old generation are reached after every forward or two, and each forward then pays a full mark-compact (and its
// concurrent sweeping) inside the walk that follows. Measured on MobileNetV2 (forward + walk, 10 rounds): 11–15
// mark-compacts without the flag, 3–5 with it, the walk's CPU time 59–115 → 40–45 ms; the peak resident memory of
// one explanation unchanged (the garbage it lets wait is a few MB per walk). Models whose kept tensors pass
// V8's external-memory limit on every forward (ResNet-50, DenseNet-121) collect as often as before.

/** Node flags for a process that runs forwards and walks. A --max-old-space-size given too (NODE_OPTIONS) still caps the heap. */
export const explainHeapFlags: readonly string[] = ['--initial-old-space-size=64'];
