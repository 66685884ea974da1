// Any class by index or name (e.g. the class the user expected): a combobox over the labels, with
// Explain, Compare and "Why not?" (why the explained class rather than this one). Works without labels too
// (type an index).
import type { Actions } from '../actions';
import { button, fill, h, uid } from '../dom';
import { splitLabel } from '../format';
import { labelOf, type HostData } from '../state';

const MAX_OPTIONS = 50;

/** Classes matching the query: an exact index first, then labels containing every word, in class order. */
export function matchClasses(query: string, classCount: number, labels: readonly string[] | undefined): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const out: number[] = [];
  const asIndex = /^#?\d+$/.test(q) ? Number(q.replace('#', '')) : NaN;
  if (Number.isInteger(asIndex) && asIndex < classCount) out.push(asIndex);
  if (labels) {
    const words = q.split(/\s+/);
    for (let i = 0; i < Math.min(classCount, labels.length) && out.length < MAX_OPTIONS; i++) {
      if (i === asIndex) continue;
      const l = labels[i].toLowerCase();
      if (words.every((w) => l.includes(w))) out.push(i);
    }
  }
  return out;
}

export class ClassPicker {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly listbox: HTMLUListElement;
  private readonly info = h('p', { class: 'hint' });
  private readonly explainBtn: HTMLButtonElement;
  private readonly compareBtn: HTMLButtonElement;
  private readonly whyBtn: HTMLButtonElement;
  private matches: number[] = [];
  private active = -1;
  private chosen: number | undefined;
  /** The text a pick wrote into the input: focusing it again must not forget the pick. */
  private pickedText = '';
  private data: HostData | undefined;

  constructor(private readonly actions: Actions) {
    const listId = uid('classes');
    this.listbox = h('ul', { class: 'listbox', attrs: { id: listId, role: 'listbox', 'aria-label': 'Matching classes', hidden: true } });
    this.input = h('input', {
      class: 'combo-input',
      attrs: {
        type: 'text',
        role: 'combobox',
        'aria-autocomplete': 'list',
        'aria-expanded': 'false',
        'aria-controls': listId,
        placeholder: 'Class index or name, e.g. 129 or spoonbill',
        autocomplete: 'off',
        spellcheck: 'false',
        'aria-label': 'Find a class',
      },
      on: {
        input: () => this.search(),
        keydown: (ev) => this.key(ev),
        blur: () => setTimeout(() => this.close(), 150),
        focus: () => this.search(),
      },
    });
    this.explainBtn = button('Explain', () => this.go('explain'), { attrs: { disabled: true, 'data-picker': 'explain' } });
    this.compareBtn = button('Compare', () => this.go('compare'), { class: 'secondary', attrs: { disabled: true, 'data-picker': 'compare' } });
    this.whyBtn = button('Why not?', () => this.go('whyNot'), { class: 'secondary', attrs: { disabled: true, 'data-picker': 'why-not' } });
    this.el = h(
      'section',
      { class: 'card picker', attrs: { 'aria-label': 'Any class' } },
      h('h2', { text: 'Another class' }),
      h('div', { class: 'combo' }, this.input, this.listbox),
      h('div', { class: 'picker-actions' }, this.explainBtn, this.compareBtn, this.whyBtn),
      this.info,
    );
  }

  update(data: HostData | undefined): void {
    this.data = data;
    if (data)
      this.info.textContent = `${data.classCount} classes${data.labels ? '' : ' (no labels: type an index)'}. Compare shows a class beside the explained one, e.g. the class you expected; Why not? shows why the explained class rather than that one.`;
    this.refreshButtons();
  }

  private search(): void {
    const d = this.data;
    if (!d || (this.pickedText && this.input.value === this.pickedText)) return;
    this.pickedText = '';
    this.matches = matchClasses(this.input.value, d.classCount, d.labels);
    this.chosen = this.matches.length === 1 || (this.matches.length && /^#?\d+$/.test(this.input.value.trim())) ? this.matches[0] : undefined;
    this.active = this.matches.length ? 0 : -1;
    this.renderList();
    this.refreshButtons();
  }

  private renderList(): void {
    const d = this.data!;
    fill(
      this.listbox,
      ...this.matches.map((k, i) => {
        const { name, rest } = splitLabel(labelOf(d, k));
        const li = h(
          'li',
          { class: 'option', attrs: { id: `${this.listbox.id}-${i}`, role: 'option', 'aria-selected': i === this.active ? 'true' : 'false', 'data-class': k } },
          h('span', { class: 'opt-idx', text: String(k) }),
          h('span', { class: 'opt-name', text: name }),
          rest ? h('span', { class: 'opt-rest', text: rest }) : null,
        );
        // mousedown, not click: the input's blur would close the list before the click lands.
        li.addEventListener('mousedown', (ev) => {
          ev.preventDefault();
          this.pick(k);
        });
        return li;
      }),
    );
    const open = this.matches.length > 0 && document.activeElement === this.input;
    this.listbox.hidden = !open;
    this.input.setAttribute('aria-expanded', String(open));
    if (this.active >= 0 && open) {
      this.input.setAttribute('aria-activedescendant', `${this.listbox.id}-${this.active}`);
      this.listbox.children[this.active]?.scrollIntoView({ block: 'nearest' });
    } else this.input.removeAttribute('aria-activedescendant');
  }

  private key(ev: KeyboardEvent): void {
    const n = this.matches.length;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (!n) return;
      ev.preventDefault();
      this.active = (this.active + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.renderList();
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      if (!this.listbox.hidden && this.active >= 0) this.pick(this.matches[this.active]);
      // Enter on a chosen class compares: the picker's main use is "what I expected" beside the prediction.
      else if (this.chosen !== undefined) this.go('compare');
    } else if (ev.key === 'Escape') {
      this.close();
    }
  }

  private pick(k: number): void {
    this.chosen = k;
    const d = this.data!;
    this.input.value = this.pickedText = `${k} ${splitLabel(labelOf(d, k)).name}`;
    this.matches = [];
    this.close();
    this.refreshButtons();
  }

  private close(): void {
    this.listbox.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  private refreshButtons(): void {
    const d = this.data,
      k = this.chosen;
    const ok = k !== undefined && !!d;
    const other = ok && k !== d.main.result.target.index;
    this.explainBtn.disabled = !ok;
    this.compareBtn.disabled = !other;
    this.whyBtn.disabled = !other;
    if (other) {
      const a = splitLabel(d.main.result.target.label).name,
        b = splitLabel(labelOf(d, k)).name;
      this.whyBtn.title = `Why ${a}, not ${b}? ${a} explained against ${b}, between the two classes' own maps (no new forward pass)`;
      this.whyBtn.setAttribute('aria-label', `Why ${a} rather than ${b}?`);
    } else {
      this.whyBtn.title = 'Pick a class other than the explained one';
      this.whyBtn.removeAttribute('aria-label');
    }
  }

  private go(what: 'explain' | 'compare' | 'whyNot'): void {
    if (this.chosen === undefined) return;
    if (what === 'explain') this.actions.explainClass(this.chosen);
    else if (what === 'compare') this.actions.compare(this.chosen);
    else this.actions.whyNot(this.chosen);
  }
}
