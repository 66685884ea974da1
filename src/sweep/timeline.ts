// Where a sweep's wall time goes: with CNN_FIXATIONS_TIMELINE=1 the coordinator and every worker print one
// line to stderr at each step (`timeline +123.4 ms cpu 80.2 ms pid 4567 worker ready`): wall milliseconds since
// the coordinator's process started, so the lines of all processes sort into one timeline, and the CPU time the
// printing process has used so far. Off by default: a
// measuring aid (README, "Debugging misclassifications"), not an output.
const VAR = 'CNN_FIXATIONS_TIMELINE';

const origin = (): number | undefined => {
  const v = process.env[VAR];
  if (!v) return undefined;
  // The coordinator turns "1" into its own start (epoch ms); its workers inherit that and count from it too.
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < 1e12) process.env[VAR] = String(performance.timeOrigin);
  return Number(process.env[VAR]);
};
const zero = origin();

/** Notes that the sweep reached `step` (nothing unless CNN_FIXATIONS_TIMELINE is set). */
export function mark(step: string): void {
  if (zero === undefined) return;
  const t = performance.timeOrigin + performance.now() - zero;
  const cpu = process.cpuUsage();
  process.stderr.write(`timeline +${t.toFixed(1)} ms cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms pid ${process.pid} ${step}\n`);
}
