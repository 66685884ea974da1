// Messages from the sweep view's webview (webview-ui/src/sweep.ts) to the host (src/panels/sweep-view.ts).

/** Open mistake `path` (relative to the swept folder) in the explanation panel, on why predicted, not expected. */
export interface OpenMistakeMessage {
  readonly type: 'openMistake';
  readonly path: string;
}
/** Copy the sweep's outputs to a folder the user chooses. */
export interface ExportSweepMessage {
  readonly type: 'export';
}

export type FromSweepView = OpenMistakeMessage | ExportSweepMessage;

/** The message, checked, or a line saying what is wrong with it. */
export function readSweepViewMessage(m: unknown): FromSweepView | string {
  if (typeof m !== 'object' || m === null) return 'not an object';
  const r = m as Record<string, unknown>;
  if (r.type === 'export') return { type: 'export' };
  if (r.type === 'openMistake') return typeof r.path === 'string' && r.path.length > 0 ? { type: 'openMistake', path: r.path } : 'openMistake without a path';
  return `unknown message type ${JSON.stringify(r.type)}`;
}
