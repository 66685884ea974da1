// The top bar: which class is explained (the title), for which image and model, busy state, exports.
import type { ExportKind } from '../../../src/shared/protocol';
import type { Actions } from '../actions';
import { button, fill, h } from '../dom';
import { percent, splitLabel } from '../format';
import type { HostData } from '../state';

export class Header {
  readonly el: HTMLElement;
  private readonly title = h('h1', { attrs: { id: 'title' }, text: 'Waiting for an explanation…' });
  private readonly subtitle = h('div', { class: 'subtitle' });
  private readonly busyLabel = h('span', { class: 'busy-label', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly exports: HTMLButtonElement[];

  constructor(actions: Actions) {
    const kinds: [ExportKind, string, string][] = [
      ['png', 'Overlay PNG', 'Save the image with the heat map, points and box as shown (toggles and opacity)'],
      ['json', 'JSON', 'Save the explanation as JSON (the versioned result contract)'],
      ['html', 'HTML report', 'Save a self-contained HTML report'],
    ];
    this.exports = kinds.map(([kind, label, tip]) =>
      button(label, () => actions.exportAs(kind), { class: 'secondary', title: tip, attrs: { 'data-export': kind, disabled: true } }),
    );
    this.el = h(
      'header',
      { class: 'top' },
      h('div', { class: 'heading' }, h('div', { class: 'eyebrow', text: 'CNN Fixations' }), this.title, this.subtitle),
      h(
        'div',
        { class: 'actions' },
        this.busyLabel,
        h('div', { class: 'export', attrs: { role: 'group', 'aria-label': 'Export' } }, h('span', { class: 'muted', text: 'Export' }), ...this.exports),
      ),
    );
  }

  update(data: HostData | undefined): void {
    for (const b of this.exports) b.disabled = !data;
    if (!data) return;
    const t = data.main.result.target;
    const p = data.main.result.predictions.find((q) => q.index === t.index);
    const { name, rest } = splitLabel(t.label);
    fill(
      this.title,
      h('span', { class: 'title-name', text: name, title: rest ? `${name}, ${rest}` : undefined }),
      h('span', { class: 'title-index', text: `class ${t.index}` }),
    );
    const img = data.image;
    const cmp = data.compare?.result.target;
    const why = data.contrast ? cmp : undefined;
    fill(
      this.subtitle,
      p ? h('span', { class: 'prob', text: percent(p.score) }) : h('span', { class: 'muted', text: 'not in the top predictions' }),
      h('span', { text: `${img.name} · ${img.width}×${img.height}` }),
      h('span', { text: data.model.fileName, title: data.model.path }),
      why
        ? h('span', { class: 'compare-note', text: `why not ${splitLabel(why.label).name} (class ${why.index})` })
        : cmp
          ? h('span', { class: 'compare-note', text: `compared with ${splitLabel(cmp.label).name} (class ${cmp.index})` })
          : null,
    );
  }

  /** No result to show (the first run failed). */
  nothing(): void {
    this.title.textContent = 'No explanation';
  }

  busy(on: boolean, label: string | undefined): void {
    this.busyLabel.textContent = on ? (label ?? 'Working…') : '';
  }
}
