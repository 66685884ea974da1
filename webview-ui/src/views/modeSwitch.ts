// The mode, in the viewer's toolbar: one radio button per declared mode (src/shared/settings.ts), its meaning
// as the tooltip. A change applies at once, as the Settings form's Mode field does: the shown classes are
// explained again from the kept forward pass (no model runs). Both show the mode the host says it holds.
import { options, type FormSettings } from '../../../src/shared/settings';
import type { Actions } from '../actions';
import { h, uid } from '../dom';

export class ModeSwitch {
  readonly el: HTMLElement;
  private readonly inputs: HTMLInputElement[];

  constructor(actions: Pick<Actions, 'rerun'>) {
    const name = uid('mode');
    const o = options.mode;
    const choices = o.values.map(([value, meaning]) => {
      const id = uid(`mode-${value}`);
      const tip = `${value}: ${meaning}. Applies at once, without running the model again.`;
      const input = h('input', {
        class: 'seg-input',
        title: tip,
        attrs: { type: 'radio', name, id, value, 'data-mode': value },
        on: { change: () => input.checked && actions.rerun({ mode: value } as FormSettings) },
      });
      // The radio covers its label (transparent): a click anywhere on the label is a click on the radio itself.
      return [input, h('label', { class: 'seg', title: tip, attrs: { for: id } }, input, value[0].toUpperCase() + value.slice(1))] as const;
    });
    this.inputs = choices.map(([input]) => input);
    this.el = h(
      'div',
      { class: 'mode-switch', attrs: { role: 'radiogroup', 'aria-label': o.form, title: o.description } },
      h('span', { class: 'muted', text: o.form, attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'segmented' }, ...choices.map(([, label]) => label)),
    );
  }

  /** Shows the mode the host holds (nothing chosen before there is one). */
  update(mode: string | undefined): void {
    for (const input of this.inputs) {
      input.checked = input.value === mode;
      input.disabled = mode === undefined;
    }
  }
}
