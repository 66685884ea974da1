// Bringing panels back after a window reload. VS Code hands the serializer the webview's saved state, which
// holds the host's PanelState under `host` (see PanelState); as a fallback the host keeps the open panels'
// states in workspaceState, matched by the panel's title.
import type * as vscode from 'vscode';
import type { PanelState } from '../shared/protocol';

const OPEN_PANELS = 'cnnFixations.openPanels';

interface Remembered {
  readonly title: string;
  readonly state: PanelState;
}

/** A saved state, checked: it comes from the webview's storage or from an older version of the extension. */
export function restoredState(raw: unknown): PanelState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const outer = raw as Record<string, unknown>;
  const s = (typeof outer.host === 'object' && outer.host !== null ? outer.host : outer) as Record<string, unknown>;
  const whole = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (typeof s.modelPath !== 'string' || typeof s.imagePath !== 'string' || !s.modelPath || !s.imagePath) return undefined;
  return {
    modelPath: s.modelPath,
    imagePath: s.imagePath,
    classIndex: whole(s.classIndex) ? (s.classIndex as number) : -1,
    ...(whole(s.compareIndex) ? { compareIndex: s.compareIndex as number } : {}),
  };
}

/** The state to reopen a restored panel with: its own saved state, else the one remembered for its title. */
export function stateToRestore(memento: vscode.Memento, saved: unknown, title: string, taken: (s: PanelState) => boolean): PanelState | undefined {
  const remembered = memento.get<Remembered[]>(OPEN_PANELS, []).find((r) => r.title === title && !taken(r.state));
  return restoredState(saved) ?? restoredState(remembered?.state);
}

export function rememberPanels(memento: vscode.Memento, panels: readonly Remembered[]): void {
  memento.update(OPEN_PANELS, panels).then(undefined, () => undefined);
}
