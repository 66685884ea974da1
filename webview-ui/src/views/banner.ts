// Messages above the content: an error (title, message, the node at fault, what to do) until dismissed,
// warnings about the shown result (a labels file that does not fit the model) until dismissed or replaced,
// and a short confirmation after an export.
import type { ErrorMessage } from '../../../src/shared/protocol';
import { button, fill, h } from '../dom';

export class Banner {
  readonly el = h('div', { class: 'banners' });
  private readonly errorBox = h('div', { class: 'error-banner', attrs: { role: 'alert', hidden: true } });
  private readonly warningBox = h('div', { class: 'warning-banner', attrs: { role: 'status', hidden: true } });
  private readonly toastBox = h('div', { class: 'toast', attrs: { role: 'status', 'aria-live': 'polite', hidden: true } });
  private shownWarnings = '';

  constructor(
    private readonly onDismiss: () => void,
    private readonly onRerun: () => void,
  ) {
    this.el.append(this.errorBox, this.warningBox, this.toastBox);
  }

  showError(e: ErrorMessage | undefined): void {
    this.errorBox.hidden = !e;
    if (!e) return fill(this.errorBox);
    fill(
      this.errorBox,
      h('div', { class: 'error-icon', attrs: { 'aria-hidden': 'true' }, text: '!' }),
      h(
        'div',
        { class: 'error-body' },
        h('div', { class: 'error-title', text: e.title }),
        h('div', { class: 'error-message', text: e.message }),
        e.node ? h('div', { class: 'error-node' }, h('span', { class: 'muted', text: 'Node ' }), h('code', { text: e.node })) : null,
        e.hint ? h('div', { class: 'error-hint', text: e.hint }) : null,
      ),
      h(
        'div',
        { class: 'error-actions' },
        // The host's hints say "press Rerun" (after fixing a file or a setting): the button is right here.
        button('Rerun', this.onRerun, { class: 'small', title: 'Run the model again (e.g. after fixing the file)' }),
        button('Dismiss', this.onDismiss, { class: 'secondary small' }),
      ),
    );
  }

  /** The result's warnings; the same ones again (a class switch, a rerun) stay dismissed once dismissed. */
  showWarnings(warnings: readonly string[] | undefined): void {
    const key = (warnings ?? []).join('\n');
    if (key === this.shownWarnings) return;
    this.shownWarnings = key;
    this.warningBox.hidden = !key;
    if (!key) return fill(this.warningBox);
    fill(
      this.warningBox,
      h('div', { class: 'warning-icon', attrs: { 'aria-hidden': 'true' }, text: '!' }),
      h('div', { class: 'warning-body' }, ...warnings!.map((w) => h('div', { class: 'warning-message', text: w.charAt(0).toUpperCase() + w.slice(1) }))),
      button('Dismiss', () => (this.warningBox.hidden = true), { class: 'secondary small' }),
    );
  }

  toast(text: string | undefined): void {
    this.toastBox.hidden = !text;
    this.toastBox.textContent = text ?? '';
  }
}
