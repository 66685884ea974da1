// The model's top predictions. Clicking a class explains it (from the kept forward pass, no new
// inference); its Compare button shows it beside the explained class; "Why not?" asks why the explained
// class A rather than this one B: A against B, between the two classes' own maps (one click from a
// misclassified image to the contrast).
import type { Actions } from '../actions';
import { button, fill, h } from '../dom';
import { percent, splitLabel } from '../format';
import type { HostData } from '../state';

export class Predictions {
  readonly el: HTMLElement;
  private readonly heading = h('h2', { text: 'Predictions' });
  private readonly list = h('ol', { class: 'preds' });

  constructor(private readonly actions: Actions) {
    this.el = h('section', { class: 'card predictions', attrs: { 'aria-label': 'Top predictions' } }, this.heading, this.list);
  }

  update(data: HostData | undefined): void {
    if (!data) return fill(this.list);
    const preds = data.main.result.predictions;
    this.heading.textContent = `Top-${preds.length} predictions`;
    const main = data.main.result.target.index,
      cmp = data.compare?.result.target.index;
    const versus = data.contrast ? data.contrast.result.settings.versus : null;
    const mainName = splitLabel(data.main.result.target.label).name;
    const top = Math.max(...preds.map((p) => p.score), 1e-12);
    fill(
      this.list,
      ...preds.map((p, rank) => {
        const { name, rest } = splitLabel(p.label);
        const isMain = p.index === main,
          isCmp = p.index === cmp,
          isWhy = p.index === versus;
        const bar = h('span', { class: 'fill' });
        // Bars relative to the top score, with a floor so tiny probabilities still show a sliver.
        bar.style.width = `${Math.max(1.5, (p.score / top) * 100)}%`;
        const explain = h(
          'button',
          {
            class: 'pred',
            title: isMain ? `Explained: ${p.label}` : `Explain ${p.label} (class ${p.index})`,
            attrs: { type: 'button', 'aria-pressed': isMain ? 'true' : 'false', 'data-class': p.index },
            on: {
              click: () => {
                if (!isMain) this.actions.explainClass(p.index);
              },
            },
          },
          h('span', { class: 'rank', text: String(rank + 1) }),
          h('span', { class: 'pred-text' }, h('span', { class: 'pred-name', text: name }), rest ? h('span', { class: 'pred-rest', text: rest }) : null),
          h('span', { class: 'pred-idx', text: `#${p.index}` }),
          h('span', { class: 'pct', text: percent(p.score) }),
          h('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, bar),
        );
        const compare = button(isCmp ? 'Comparing' : 'Compare', () => this.actions.compare(isCmp ? undefined : p.index), {
          class: 'secondary small cmp',
          title: isCmp ? 'Stop comparing' : `Show ${name} side by side with the explained class`,
          attrs: { 'aria-pressed': isCmp ? 'true' : 'false', 'data-compare': p.index },
        });
        const why = button('Why not?', () => this.actions.whyNot(isWhy ? undefined : p.index), {
          class: 'secondary small why',
          title: isWhy
            ? 'Leave "why not" (the explained class alone again)'
            : `Why ${mainName}, not ${name}? ${mainName} explained against ${name}, between the two classes' own maps (no new forward pass)`,
          attrs: { 'aria-label': `Why ${mainName} rather than ${name}?`, 'aria-pressed': isWhy ? 'true' : 'false', 'data-why-not': p.index },
        });
        // The explained class has nothing to be compared with or asked "why not" about: its row has no actions.
        return h(
          'li',
          { class: `pred-row${isMain ? ' is-main' : ''}${isCmp ? ' is-compare' : ''}${isWhy ? ' is-why' : ''}` },
          explain,
          isMain ? null : h('div', { class: 'pred-actions' }, compare, why),
        );
      }),
    );
  }
}
