// The settings that produced the result, with timings, and a form to run again with other settings.
import { presets } from '../../../src/preprocess/presets';
import type { RunSettings } from '../../../src/shared/protocol';
import type { ExplanationJson } from '../../../src/shared/result';
import type { Actions } from '../actions';
import { h, uid } from '../dom';
import { count, ms } from '../format';

const convModes: [string, string][] = [
  ['contribution', 'contribution: the tap with the largest activation × weight (the paper)'],
  ['center', 'center: the stride-scaled centre of the receptive field'],
  ['activation', 'activation: the tap with the largest input activation'],
];
const flattenModes: [string, string][] = [
  ['argmax', 'argmax: one input per fixation (the authors’ code)'],
  ['positive', 'positive: every input with a positive contribution'],
];
const boxModes: [string, string][] = [
  ['points', 'points: tight box around the kept points'],
  ['threshold', 'threshold: largest region above a fraction of the peak heat'],
];

export class SettingsView {
  readonly el = h('div', { class: 'settings-view' });
  private readonly form: HTMLFormElement;
  private readonly fields: { preset: HTMLSelectElement; convMode: HTMLSelectElement; flattenMode: HTMLSelectElement; boxMode: HTMLSelectElement; sigma: HTMLInputElement };
  private readonly facts = h('div', { class: 'facts' });

  constructor(actions: Actions) {
    const select = (options: [string, string][]) => h('select', {}, ...options.map(([v, label]) => h('option', { text: label, attrs: { value: v } })));
    this.fields = {
      preset: select(Object.values(presets).map((p) => [p.name, `${p.name}: ${p.description}`])),
      convMode: select(convModes),
      flattenMode: select(flattenModes),
      boxMode: select(boxModes),
      sigma: h('input', { attrs: { type: 'number', min: 0.5, step: 0.5, required: true } }),
    };
    const row = (label: string, input: HTMLElement, help: string) => {
      const id = uid('setting');
      input.id = id;
      return h('div', { class: 'field' }, h('label', { text: label, attrs: { for: id } }), input, h('span', { class: 'hint', text: help }));
    };
    this.form = h(
      'form',
      { class: 'settings-form', attrs: { 'aria-label': 'Run settings' } },
      row('Preprocessing', this.fields.preset, 'How the image becomes the input tensor'),
      row('Conv rule', this.fields.convMode, 'Which input position a convolution fixation goes back to'),
      row('Flatten rule', this.fields.flattenMode, 'Fully connected layers over a flattened map'),
      row('Heat map sigma (px)', this.fields.sigma, 'Gaussian blur of the points, in image pixels'),
      row('Box', this.fields.boxMode, 'How the localisation box is drawn'),
      h('div', { class: 'form-actions' }, h('button', { text: 'Run again', attrs: { type: 'submit', 'data-action': 'rerun' } }), h('span', { class: 'hint', text: 'Runs the model again on the same image with these settings.' })),
    );
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = this.fields;
      const sigma = Number(f.sigma.value);
      actions.rerun({
        preset: f.preset.value,
        convMode: f.convMode.value as RunSettings['convMode'],
        flattenMode: f.flattenMode.value as RunSettings['flattenMode'],
        boxMode: f.boxMode.value as RunSettings['boxMode'],
        // The field shows sigma rounded: send it only when the user changed it, else the host keeps its own.
        ...(f.sigma.value !== this.sigmaShown && Number.isFinite(sigma) && sigma > 0 ? { sigma } : {}),
      });
    });
    this.el.append(h('div', { class: 'settings-grid' }, this.form, this.facts));
  }

  update(r: ExplanationJson | undefined): void {
    if (!r) return;
    const s = r.settings;
    // Refill the form only when the settings changed, so a class switch keeps what the user is editing.
    const key = JSON.stringify(s);
    if (key !== this.shown) {
      this.shown = key;
      this.fillForm(s);
    }
    this.facts.replaceChildren(...this.factsFor(r));
  }

  private shown = '';

  private fillForm(s: ExplanationJson['settings']): void {
    const f = this.fields;
    // A preset the webview does not know (a newer host) still shows up as itself.
    if (![...f.preset.options].some((o) => o.value === s.preset)) f.preset.append(h('option', { text: s.preset, attrs: { value: s.preset } }));
    f.preset.value = s.preset;
    f.convMode.value = s.convMode;
    f.flattenMode.value = s.flattenMode;
    f.boxMode.value = s.boxMode;
    f.sigma.value = this.sigmaShown = String(Math.round(s.sigma * 10) / 10);
  }

  private sigmaShown = '';

  private factsFor(r: ExplanationJson): HTMLElement[] {
    const s = r.settings, t = r.timings;
    const kv = (pairs: [string, string][]) => h('dl', { class: 'kv' }, ...pairs.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
    return [
      h('h4', { text: 'This result' }),
      kv([
        ['settings', `preset ${s.preset} · conv ${s.convMode} · flatten ${s.flattenMode} · sigma ${s.sigma.toFixed(1)} px · box ${s.boxMode}`],
        ['input', `${r.model.input.name} [${r.model.input.shape.join('×')}]`],
        ['fixations', `${count(r.inputFixations.length)} at the input → ${count(r.points.length)} image points → ${count(r.keptPoints.length)} kept`],
        ['layer steps', count(r.layers.length)],
      ]),
      h('h4', { text: 'Timings' }),
      kv([
        ['model load', ms(t.loadMs)],
        ['preprocess', ms(t.preprocessMs)],
        ['inference', ms(t.inferenceMs)],
        ['walk back', ms(t.unravelMs)],
        ['heat map', ms(t.heatmapMs)],
      ]),
    ];
  }
}
