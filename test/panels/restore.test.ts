// Restoring panels after a reload (src/panels/restore.ts): the host's own record beats the webview's saved
// state, which VS Code persists only now and then; the record is on disk the moment it changes.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import type * as vscode from 'vscode';
import { rememberPanel, restoredState, stateToRestore, type PanelStore } from '../../src/panels/restore';
import type { PanelState } from '../../src/shared/protocol';
import { tmpFile } from '../helpers/tmp';

/** workspaceState as VS Code gives it: get/update over a map. */
function memento(initial: Record<string, unknown> = {}): vscode.Memento {
  const m = new Map(Object.entries(initial));
  return {
    keys: () => [...m.keys()],
    get: <T>(key: string, fallback?: T) => (m.has(key) ? (m.get(key) as T) : fallback),
    update: async (key: string, value: unknown) => void m.set(key, value),
  } as vscode.Memento;
}

let n = 0;
const store = (initial?: Record<string, unknown>): PanelStore => ({ memento: memento(initial), file: tmpFile(`panels-${++n}/panels.json`) });
const pelican: PanelState = { modelPath: '/w/models/m.onnx', imagePath: '/w/images/pelican.jpeg', classIndex: 144 };
const none = () => false;

describe('panel restore', () => {
  it("prefers the host's record to the webview's older saved state for the same model and image", () => {
    const s = store();
    rememberPanel(s, 'pelican.jpeg · m', { ...pelican, classIndex: 132, compareIndex: 144 });
    assert.ok(fs.existsSync(s.file!), 'written at once');
    const saved = { layerIndex: 3, host: pelican }; // what VS Code persisted before the class switch
    assert.deepEqual(stateToRestore(s, saved, 'pelican.jpeg · m', none), { ...pelican, classIndex: 132, compareIndex: 144 });
    // another panel's record does not apply
    const eagle = { ...pelican, imagePath: '/w/images/eagle.jpg', classIndex: 22 };
    assert.deepEqual(stateToRestore(s, { host: eagle }, 'eagle.jpg · m', none), eagle);
  });

  it('without a saved state, takes the newest record under the title that no open panel holds', () => {
    const s = store();
    const other = { ...pelican, modelPath: '/elsewhere/m.onnx', classIndex: 7 };
    rememberPanel(s, 'pelican.jpeg · m', pelican);
    rememberPanel(s, 'pelican.jpeg · m', other);
    assert.deepEqual(stateToRestore(s, undefined, 'pelican.jpeg · m', none), other);
    assert.deepEqual(
      stateToRestore(s, undefined, 'pelican.jpeg · m', (t) => t.modelPath === other.modelPath),
      pelican,
    );
    assert.equal(stateToRestore(s, undefined, 'nothing · here', none), undefined);
  });

  it('reads what workspaceState holds when the file is missing or torn, including the older list format', () => {
    const old = store({ 'cnnFixations.openPanels': [{ title: 'pelican.jpeg · m', state: { ...pelican, classIndex: 5 } }] });
    assert.equal(stateToRestore(old, undefined, 'pelican.jpeg · m', none)?.classIndex, 5);
    const torn = store();
    rememberPanel(torn, 'pelican.jpeg · m', { ...pelican, classIndex: 9 });
    fs.writeFileSync(torn.file!, '{"half');
    assert.equal(stateToRestore(torn, { host: pelican }, 'x', none)?.classIndex, 9);
    const noFile: PanelStore = { memento: memento(), file: undefined };
    rememberPanel(noFile, 'pelican.jpeg · m', { ...pelican, classIndex: 11 });
    assert.equal(stateToRestore(noFile, { host: pelican }, 'x', none)?.classIndex, 11);
  });

  it('keeps the 100 most recent records', () => {
    const s = store();
    for (let i = 0; i < 105; i++) rememberPanel(s, `img${i}`, { ...pelican, imagePath: `/w/img${i}.jpg` });
    const kept = Object.values(JSON.parse(fs.readFileSync(s.file!, 'utf8')) as Record<string, { title: string }>).map((r) => r.title);
    assert.equal(kept.length, 100);
    assert.ok(kept.includes('img104') && !kept.includes('img0'));
  });

  it('checks saved states: paths must be strings, classes whole numbers, the mode a declared one', () => {
    assert.equal(restoredState({ host: { modelPath: 3, imagePath: 'x' } }), undefined);
    assert.deepEqual(restoredState({ host: { modelPath: 'm', imagePath: 'i', classIndex: 2.5, compareIndex: 4 } }), {
      modelPath: 'm',
      imagePath: 'i',
      classIndex: -1,
      compareIndex: 4,
    });
    assert.deepEqual(restoredState({ host: { modelPath: 'm', imagePath: 'i', classIndex: 3, mode: 'paper' } }), {
      modelPath: 'm',
      imagePath: 'i',
      classIndex: 3,
      mode: 'paper',
    });
    assert.deepEqual(
      restoredState({ host: { modelPath: 'm', imagePath: 'i', classIndex: 3, mode: 'sideways' } }),
      { modelPath: 'm', imagePath: 'i', classIndex: 3 },
      'an unknown mode is dropped',
    );
    // "Why A, not B?": B another whole class, and only with A
    assert.deepEqual(restoredState({ host: { modelPath: 'm', imagePath: 'i', classIndex: 3, compareIndex: 5, versusIndex: 5 } }), {
      modelPath: 'm',
      imagePath: 'i',
      classIndex: 3,
      compareIndex: 5,
      versusIndex: 5,
    });
    assert.deepEqual(
      restoredState({ host: { modelPath: 'm', imagePath: 'i', classIndex: 3, versusIndex: 3 } }),
      { modelPath: 'm', imagePath: 'i', classIndex: 3 },
      'not A against itself',
    );
    assert.deepEqual(
      restoredState({ host: { modelPath: 'm', imagePath: 'i', versusIndex: 5 } }),
      { modelPath: 'm', imagePath: 'i', classIndex: -1 },
      'not without A',
    );
    assert.deepEqual(restoredState({ host: { modelPath: 'm', imagePath: 'i', classIndex: 3, versusIndex: -5 } }), {
      modelPath: 'm',
      imagePath: 'i',
      classIndex: 3,
    });
  });
});
