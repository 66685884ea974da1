// The validation of what the webview sends (src/panels/messages.ts): shapes, then numbers against the
// current result. The extension's integration suite sends the same messages through a real panel.
import { strict as assert } from 'node:assert';
import { InvalidMessage, parseMessage, type Limits } from '../../src/panels/messages';

const limits: Limits = { classCount: 10, explained: 4, layers: [{ shape: [1, 8, 4, 4] }, { shape: [1, 10] }] };
const overlay = { heat: true, points: false, box: true, opacity: 0.4 };

function rejects(raw: unknown, why: RegExp, l: Limits | 'no result' = limits): void {
  const m = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !('id' in raw) ? { id: 1, ...raw } : raw;
  assert.throws(
    () => parseMessage(m, l === 'no result' ? undefined : l),
    (e: unknown) => e instanceof InvalidMessage && why.test(e.message),
  );
}

describe('panel messages', () => {
  it('accepts each well-formed message and returns only the known fields, with its id', () => {
    assert.deepEqual(parseMessage({ type: 'ready', id: 1, extra: 1 }, undefined), { type: 'ready', id: 1 });
    assert.deepEqual(parseMessage({ type: 'explainClass', id: 2, classIndex: 9 }, limits), { type: 'explainClass', id: 2, classIndex: 9 });
    assert.deepEqual(parseMessage({ type: 'explainClass', id: 2, classIndex: 9, versus: 3 }, limits), {
      type: 'explainClass',
      id: 2,
      classIndex: 9,
      versus: 3,
    });
    assert.deepEqual(parseMessage({ type: 'compare', id: 3, classIndex: 0 }, limits), { type: 'compare', id: 3, classIndex: 0 });
    assert.deepEqual(parseMessage({ type: 'compare', id: 4 }, limits), { type: 'compare', id: 4, classIndex: undefined });
    assert.deepEqual(parseMessage({ type: 'whyNot', id: 4, classIndex: 3, versus: 1 }, limits), { type: 'whyNot', id: 4, classIndex: 3 });
    assert.deepEqual(parseMessage({ type: 'whyNot', id: 4, classIndex: null }, limits), { type: 'whyNot', id: 4, classIndex: undefined });
    assert.deepEqual(parseMessage({ type: 'selectLayer', id: 5, layerIndex: 0, channel: 7 }, limits), {
      type: 'selectLayer',
      id: 5,
      layerIndex: 0,
      channel: 7,
    });
    assert.deepEqual(parseMessage({ type: 'selectLayer', id: 6, layerIndex: 1 }, limits), { type: 'selectLayer', id: 6, layerIndex: 1 });
    assert.deepEqual(parseMessage({ type: 'export', id: 7, kind: 'html', overlay }, limits), { type: 'export', id: 7, kind: 'html', overlay });
    assert.deepEqual(parseMessage({ type: 'rerun', id: 8 }, undefined), { type: 'rerun', id: 8 });
    assert.deepEqual(parseMessage({ type: 'rerun', id: 9, settings: { preset: 'caffe', sigma: 3.5, boxMode: undefined } }, undefined), {
      type: 'rerun',
      id: 9,
      settings: { preset: 'caffe', sigma: 3.5 },
    });
    assert.deepEqual(parseMessage({ type: 'rerun', id: 10, settings: { mode: 'paper' } }, undefined), { type: 'rerun', id: 10, settings: { mode: 'paper' } });
  });

  it('needs a request id on every message', () => {
    rejects({ type: 'ready', id: undefined }, /'ready' request needs an id/);
    rejects({ type: 'explainClass', id: 0, classIndex: 1 }, /needs an id .*got 0/);
    rejects({ type: 'explainClass', id: 1.5, classIndex: 1 }, /needs an id/);
    rejects({ type: 'explainClass', id: '7', classIndex: 1 }, /needs an id/);
  });

  it('checks class, layer and channel against the current result', () => {
    rejects({ type: 'explainClass', classIndex: 10 }, /classIndex 10 is out of range: the model has 10 classes \(0–9\)/);
    rejects({ type: 'explainClass', classIndex: -1 }, /out of range/);
    rejects({ type: 'explainClass', classIndex: 1.5 }, /whole number/);
    rejects({ type: 'explainClass', classIndex: '3' }, /whole number/);
    rejects({ type: 'compare', classIndex: 11 }, /out of range/);
    rejects({ type: 'whyNot', classIndex: 10 }, /classIndex 10 is out of range: the model has 10 classes/);
    rejects({ type: 'whyNot', classIndex: 4 }, /classIndex 4 is the explained class: "why not" asks about another class/);
    rejects({ type: 'whyNot', classIndex: 'dog' }, /whole number/);
    rejects({ type: 'selectLayer', layerIndex: 2 }, /layerIndex 2 is out of range: the walk has 2 layers/);
    rejects({ type: 'selectLayer', layerIndex: 0, channel: 8 }, /channel 8 is out of range: layer 0 has 8 channels/);
    rejects({ type: 'explainClass', classIndex: 1, versus: 10 }, /versus 10 is out of range/);
    rejects({ type: 'compare', classIndex: 1, versus: 'all' }, /versus must be a whole number/);
    // channels as the drill-down lays the tensor out: a vector's units are its channels
    assert.deepEqual(parseMessage({ type: 'selectLayer', id: 1, layerIndex: 1, channel: 9 }, limits), {
      type: 'selectLayer',
      id: 1,
      layerIndex: 1,
      channel: 9,
    });
    rejects({ type: 'selectLayer', layerIndex: 1, channel: 10 }, /channel 10 is out of range: layer 1 has 10 channels/);
  });

  it('refuses requests that need a result before there is one', () => {
    for (const type of ['explainClass', 'compare', 'whyNot', 'selectLayer', 'export'])
      rejects({ type, classIndex: 0, layerIndex: 0, kind: 'png', overlay }, /before there is a result/, 'no result');
  });

  it('checks export kinds, overlay toggles and opacity', () => {
    rejects({ type: 'export', kind: 'svg', overlay }, /one of png, json, html/);
    rejects({ type: 'export', kind: 'png' }, /needs overlay/);
    rejects({ type: 'export', kind: 'png', overlay: { ...overlay, heat: 'yes' } }, /overlay.heat/);
    rejects({ type: 'export', kind: 'png', overlay: { ...overlay, opacity: 1.01 } }, /opacity/);
    rejects({ type: 'export', kind: 'png', overlay: { ...overlay, opacity: Number.NaN } }, /opacity/);
  });

  it('checks rerun settings by the declaration', () => {
    rejects({ type: 'rerun', settings: { preset: 'vgg' } }, /settings.preset must be one of auto, imagenet/);
    rejects({ type: 'rerun', settings: { convMode: 'max' } }, /settings.convMode must be one of auto, contribution, center, activation/);
    rejects({ type: 'rerun', settings: { mode: 'contrastive' } }, /settings.mode must be one of discriminative, weighted, paper/);
    rejects({ type: 'rerun', settings: { sigma: -1 } }, /settings.sigma must be a number from 0 to 10000/);
    rejects({ type: 'rerun', settings: { sigma: Infinity } }, /sigma/);
    rejects({ type: 'rerun', settings: { sigma: '8' } }, /sigma/);
    rejects({ type: 'rerun', settings: { top: 3 } }, /settings.top is not a setting the panel can change/);
    rejects({ type: 'rerun', settings: 'fast' }, /must be an object/);
    // the auto values leave a setting as it is (absent)
    assert.deepEqual(parseMessage({ type: 'rerun', id: 1, settings: { sigma: 0, preset: 'auto' } }, undefined), { type: 'rerun', id: 1, settings: {} });
  });

  it('refuses what is not a message', () => {
    rejects(null, /object/);
    rejects([1], /object/);
    rejects({ type: 'eval', code: '1' }, /unknown message type "eval"/);
    rejects({}, /unknown message type undefined/);
  });
});
