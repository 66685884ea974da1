// Bringing panels back after a window reload. VS Code hands the serializer the webview's saved state, which
// holds the host's PanelState under `host` (see PanelState). But VS Code persists that state only from time
// to time: a reload soon after a class switch brings back the class before it. So the host also keeps its
// own record of every open panel, written the moment it changes to a small JSON file in the extension's
// storage folder (and to workspaceState, for when there is no such folder). The webview's state says which
// panel came back (its model and image); the host's record says what it showed last. Records are only ever
// updated, never deleted when a panel closes (VS Code does not say whether the user closed it or the window
// is going away); they are consulted only for a panel VS Code brings back, and the oldest are dropped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { PanelState } from '../shared/protocol';
import { readOption } from '../shared/settings';

const OPEN_PANELS = 'cnnFixations.openPanels';
/** Records kept (the most recently updated). */
const KEEP = 100;

interface Remembered {
  readonly title: string;
  readonly state: PanelState;
  /** When it was written (ms since the epoch). */
  readonly at: number;
}

/** Where the records live: a file (written synchronously, so a reload cannot outrun it) and workspaceState. */
export interface PanelStore {
  readonly memento: vscode.Memento;
  readonly file: string | undefined;
}

type Records = Record<string, Remembered>;

/** One panel per model and image: the key of both, as absolute paths. */
export const panelKey = (t: Pick<PanelState, 'modelPath' | 'imagePath'>) => `${path.resolve(t.modelPath)}\n${path.resolve(t.imagePath)}`;

/** A saved state, checked: it comes from the webview's storage or from an older version of the extension. */
export function restoredState(raw: unknown): PanelState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const outer = raw as Record<string, unknown>;
  const s = (typeof outer.host === 'object' && outer.host !== null ? outer.host : outer) as Record<string, unknown>;
  const whole = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (typeof s.modelPath !== 'string' || typeof s.imagePath !== 'string' || !s.modelPath || !s.imagePath) return undefined;
  const mode = readOption('mode', s.mode, 'mode');
  const classIndex = whole(s.classIndex) ? (s.classIndex as number) : -1;
  // "Why A, not B?" needs A, and B another class
  const versus = classIndex >= 0 && whole(s.versusIndex) && s.versusIndex !== classIndex;
  return {
    modelPath: s.modelPath,
    imagePath: s.imagePath,
    classIndex,
    ...(whole(s.compareIndex) ? { compareIndex: s.compareIndex as number } : {}),
    ...(versus ? { versusIndex: s.versusIndex as number } : {}),
    ...(mode.ok && mode.value ? { mode: mode.value } : {}),
  };
}

/** The records, checked; older versions kept a list in workspaceState. */
function load(store: PanelStore): Records {
  let raw: unknown;
  try {
    if (store.file) raw = JSON.parse(fs.readFileSync(store.file, 'utf8'));
  } catch {
    raw = undefined; // no file yet, or a torn one: workspaceState still has them
  }
  raw ??= store.memento.get<unknown>(OPEN_PANELS);
  const list = Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null ? Object.values(raw) : [];
  const out: Records = {};
  for (const r of list as Partial<Remembered>[]) {
    const state = restoredState(r?.state);
    if (state && typeof r.title === 'string') out[panelKey(state)] = { title: r.title, state, at: typeof r.at === 'number' ? r.at : 0 };
  }
  return out;
}

function save(store: PanelStore, records: Records): void {
  store.memento.update(OPEN_PANELS, records).then(undefined, () => undefined);
  if (!store.file) return;
  try {
    fs.mkdirSync(path.dirname(store.file), { recursive: true });
    const tmp = `${store.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(records));
    fs.renameSync(tmp, store.file);
  } catch {
    // best effort: restoring falls back to the webview's own state
  }
}

/** Records what panel `title` shows now (one record per model and image). */
export function rememberPanel(store: PanelStore, title: string, state: PanelState): void {
  const records = load(store);
  delete records[panelKey(state)]; // re-added last: among records of the same millisecond, the latest wins
  records[panelKey(state)] = { title, state, at: Date.now() };
  // newest first to keep the newest; saved oldest first, so that the file's order is the order of writing
  const newest = Object.entries(records)
    .reverse()
    .sort((a, b) => b[1].at - a[1].at)
    .slice(0, KEEP);
  save(store, Object.fromEntries(newest.reverse()));
}

/**
 * The state to reopen a restored panel with: the host's record for the panel its saved state names (newer
 * than what VS Code persisted), else that saved state, else the record remembered under its title.
 */
export function stateToRestore(store: PanelStore, saved: unknown, title: string, taken: (s: PanelState) => boolean): PanelState | undefined {
  const records = load(store);
  const own = restoredState(saved);
  if (own) return records[panelKey(own)]?.state ?? own;
  return Object.values(records)
    .reverse()
    .sort((a, b) => b.at - a.at)
    .find((r) => r.title === title && !taken(r.state))?.state;
}
