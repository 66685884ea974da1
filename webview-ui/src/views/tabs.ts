// Tabs as in the WAI-ARIA pattern: one tab in the Tab order, arrows (and Home/End) move between tabs.
import { h } from '../dom';

export class Tabs<Id extends string> {
  readonly el: HTMLElement;
  private readonly tabs = new Map<Id, { tab: HTMLButtonElement; panel: HTMLElement }>();
  private readonly list = h('div', { class: 'tablist', attrs: { role: 'tablist', 'aria-label': 'Details' } });

  constructor(
    entries: readonly (readonly [Id, string, HTMLElement])[],
    private readonly onSelect: (id: Id) => void,
  ) {
    const panels = h('div', { class: 'tabpanels' });
    for (const [id, label, content] of entries) {
      const tab = h('button', {
        class: 'tab',
        text: label,
        attrs: { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}`, 'data-tab': id },
      });
      tab.addEventListener('click', () => this.onSelect(id));
      tab.addEventListener('keydown', (ev) => this.key(ev, id));
      const panel = h('div', { class: 'tabpanel', attrs: { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}` } }, content);
      this.list.append(tab);
      panels.append(panel);
      this.tabs.set(id, { tab, panel });
    }
    this.el = h('section', { class: 'card tabs' }, this.list, panels);
  }

  label(id: Id, text: string): void {
    const t = this.tabs.get(id);
    if (t) t.tab.textContent = text;
  }

  select(id: Id): void {
    for (const [k, { tab, panel }] of this.tabs) {
      const on = k === id;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      panel.hidden = !on;
    }
  }

  private key(ev: KeyboardEvent, id: Id): void {
    const ids = [...this.tabs.keys()];
    const i = ids.indexOf(id);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: ids.length - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    const target = ids[(next + ids.length) % ids.length];
    this.onSelect(target);
    this.tabs.get(target)!.tab.focus();
  }
}
