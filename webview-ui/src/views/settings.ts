// The settings that produced the result, with timings, and a form to run again with other settings. The
// form's fields are the declared options the panel offers (src/shared/settings.ts), each with its values
// and what they mean. An option that applies per class (the mode) takes effect as soon as it is changed,
// from the kept forward pass; the others wait for "Run again", which runs the model.
import type { PanelState } from '../../../src/shared/protocol';
import type { ExplanationJson } from '../../../src/shared/result';
import { formKeys, options, perClassKeys, type FormKey, type FormSettings } from '../../../src/shared/settings';
import type { Actions } from '../actions';
import { h, uid } from '../dom';
import { count, ms } from '../format';

type Field = HTMLSelectElement | HTMLInputElement;

const perClass = (key: FormKey) => (perClassKeys as readonly string[]).includes(key);

export class SettingsView {
  readonly el = h('div', { class: 'settings-view' });
  private readonly form: HTMLFormElement;
  private readonly fields = new Map<FormKey, Field>();
  private readonly facts = h('div', { class: 'facts' });
  /** What the form was last filled from, so a class switch keeps what the user is editing. */
  private shown = '';
  /**
   * Each field's value as the form was filled (numbers rounded): a field is sent only when the user changed it,
   * else the host keeps its own. The result says the value a run used, not how it was chosen: the conv rule left
   * to the mode (auto) shows as the rule the mode gave, and sending it would pin that rule for other modes.
   */
  private readonly valuesShown = new Map<FormKey, string>();

  constructor(private readonly actions: Actions) {
    const rows = formKeys.map((key) => this.row(key));
    this.form = h(
      'form',
      { class: 'settings-form', attrs: { 'aria-label': 'Run settings' } },
      ...rows,
      h(
        'div',
        { class: 'form-actions' },
        h('button', { text: 'Run again', attrs: { type: 'submit', 'data-action': 'rerun' } }),
        h('span', { class: 'hint', text: 'Runs the model again on the same image with these settings.' }),
      ),
    );
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      actions.rerun(this.values());
    });
    this.el.append(h('div', { class: 'settings-grid' }, this.form, this.facts));
  }

  private row(key: FormKey): HTMLElement {
    const o = options[key];
    const id = uid('setting');
    let field: Field;
    if (o.kind === 'choice') {
      field = h('select', { attrs: { id } }, ...o.values.map(([v, meaning]) => h('option', { text: `${v}: ${meaning}`, attrs: { value: v } })));
    } else {
      field = h('input', { attrs: { id, type: 'number', min: o.min, max: o.max, step: o.integer ? 1 : 'any', required: true } });
    }
    this.fields.set(key, field);
    const hint = perClass(key) ? `${o.description} Applies at once, without running the model again.` : o.description;
    if (perClass(key)) field.addEventListener('change', () => this.actions.rerun({ [key]: field.value } as FormSettings));
    return h('div', { class: 'field' }, h('label', { text: o.form, attrs: { for: id } }), field, h('span', { class: 'hint', text: hint }));
  }

  /** The form's values the user changed. */
  private values(): FormSettings {
    const out: Record<string, string | number> = {};
    for (const [key, field] of this.fields) {
      if (field.value === this.valuesShown.get(key)) continue;
      if (options[key].kind === 'choice') out[key] = field.value;
      else if (Number.isFinite(Number(field.value))) out[key] = Number(field.value);
    }
    return out as FormSettings;
  }

  update(r: ExplanationJson | undefined, state: PanelState | undefined): void {
    if (!r) return;
    // What the result says it was made with, else what the host says it holds (the mode).
    const current = (key: FormKey): unknown =>
      (r.settings as Readonly<Record<string, unknown>>)[key] ?? (state as Readonly<Record<string, unknown>> | undefined)?.[key];
    const values = formKeys.map((k) => [k, current(k)] as const);
    const key = JSON.stringify(values);
    if (key !== this.shown) {
      this.shown = key;
      for (const [k, v] of values) this.fill(k, v);
    }
    this.facts.replaceChildren(...this.factsFor(r, state));
  }

  private fill(key: FormKey, v: unknown): void {
    const field = this.fields.get(key)!;
    if (v === undefined || v === null) return;
    if (options[key].kind === 'number') {
      field.value = String(Math.round(Number(v) * 10) / 10);
    } else {
      // A value the webview does not know (a newer host) still shows up as itself.
      const select = field as HTMLSelectElement;
      if (![...select.options].some((o) => o.value === v)) select.append(h('option', { text: String(v), attrs: { value: String(v) } }));
      select.value = String(v);
    }
    this.valuesShown.set(key, field.value);
  }

  private factsFor(r: ExplanationJson, state: PanelState | undefined): HTMLElement[] {
    const s = r.settings,
      t = r.timings;
    const kv = (pairs: [string, string][]) => h('dl', { class: 'kv' }, ...pairs.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
    const mode = state?.mode ? ` · mode ${state.mode}` : '';
    return [
      h('h4', { text: 'This result' }),
      kv([
        ['settings', `preset ${s.preset} · conv ${s.convMode} · flatten ${s.flattenMode} · sigma ${s.sigma.toFixed(1)} px · box ${s.boxMode}${mode}`],
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
