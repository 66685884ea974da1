// Every layer on the walk from the output to the input: op, node, tensor shape, fixation count. A strip
// chart gives the whole walk at a glance (hundreds of layers fit); the table filters by op, node or tensor.
// Rows are keyboard-navigable (arrows move, Enter or Space opens the layer).
import type { LayerJson } from '../../../src/shared/result';
import type { Actions } from '../actions';
import { inferno } from '../draw/colormaps';
import { fill, h } from '../dom';
import { count, shape } from '../format';
import type { HostData } from '../state';

export class LayerList {
  readonly el: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly summary = h('span', { class: 'muted layer-summary' });
  private readonly chart = h('canvas', { class: 'layer-chart', attrs: { 'aria-hidden': 'true', height: 48 } });
  private readonly body = h('tbody');
  private layers: readonly LayerJson[] = [];
  private selected: number | undefined;
  private filterText = '';

  constructor(private readonly actions: Actions) {
    this.filter = h('input', {
      class: 'filter',
      attrs: { type: 'search', placeholder: 'Filter by op, node or tensor', 'aria-label': 'Filter layers' },
      on: { input: () => actions.setLayerFilter(this.filter.value) },
    });
    this.chart.addEventListener('click', (ev) => {
      const r = this.chart.getBoundingClientRect();
      const i = Math.floor(((ev.clientX - r.left) / r.width) * this.layers.length);
      if (i >= 0 && i < this.layers.length) this.actions.selectLayer(i);
    });
    const table = h(
      'table',
      { class: 'layers', attrs: { 'aria-label': 'Layers on the walk, from the output to the input' } },
      h('thead', {}, h('tr', {}, ...['#', 'op', 'node', 'shape', 'fixations'].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))),
      this.body,
    );
    this.body.addEventListener('keydown', (ev) => this.key(ev));
    this.el = h(
      'div',
      { class: 'layer-list' },
      h('div', { class: 'list-head' }, this.filter, this.summary),
      h('div', { class: 'chart-wrap' }, this.chart, h('div', { class: 'chart-axis muted' }, h('span', { text: '← output' }), h('span', { text: 'fixations per layer (log scale)' }), h('span', { text: 'input →' }))),
      h('div', { class: 'table-wrap' }, table),
    );
  }

  update(data: HostData | undefined, filter: string, selected: number | undefined): void {
    const layers = data?.main.result.layers ?? [];
    const changed = layers !== this.layers || filter !== this.filterText;
    this.layers = layers;
    this.filterText = filter;
    if (this.filter.value !== filter) this.filter.value = filter;
    if (changed) this.renderRows();
    this.select(selected);
    this.drawChart();
  }

  private renderRows(): void {
    const q = this.filterText.trim().toLowerCase();
    const max = Math.max(1, ...this.layers.map((l) => l.count));
    const rows: HTMLTableRowElement[] = [];
    this.layers.forEach((l, i) => {
      if (q && !`${l.op} ${l.node} ${l.tensor}`.toLowerCase().includes(q)) return;
      const bar = h('span', { class: 'fill' });
      bar.style.width = `${(100 * Math.log1p(l.count)) / Math.log1p(max)}%`;
      const notes = l.notes?.length ? h('span', { class: 'note-mark', text: '⚠', title: l.notes.join('\n'), attrs: { 'aria-label': `fall-back: ${l.notes.join('; ')}` } }) : null;
      const row = h(
        'tr',
        { attrs: { tabindex: -1, 'data-index': i, 'aria-selected': 'false' }, on: { click: () => this.actions.selectLayer(i) } },
        h('td', { class: 'num', text: String(i) }),
        h('td', { class: 'op' }, h('span', { class: 'op-tag', text: l.op }), notes),
        h('td', { class: 'node', text: l.node || '(unnamed)', title: `node ${l.node}\ntensor ${l.tensor}` }),
        h('td', { class: 'shape', text: shape(l.shape) }),
        h('td', { class: 'count' }, h('span', { class: 'count-num', text: count(l.count) }), h('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, bar)),
      );
      rows.push(row);
    });
    fill(this.body, ...rows);
    if (!rows.length) this.body.append(h('tr', {}, h('td', { class: 'empty', text: q ? 'No layer matches the filter.' : 'No layers.', attrs: { colspan: 5 } })));
    this.summary.textContent = q ? `${rows.length} of ${this.layers.length} layers` : `${this.layers.length} layers`;
  }

  private select(index: number | undefined): void {
    this.selected = index;
    let focusable: HTMLElement | undefined;
    for (const row of this.body.rows) {
      const on = row.dataset.index !== undefined && Number(row.dataset.index) === index;
      row.setAttribute('aria-selected', String(on));
      row.tabIndex = -1;
      if (on) focusable = row;
    }
    // One row in the Tab order: the selected one, else the first.
    (focusable ?? (this.body.rows[0]?.dataset.index !== undefined ? this.body.rows[0] : undefined))?.setAttribute('tabindex', '0');
  }

  private key(ev: KeyboardEvent): void {
    const row = (ev.target as HTMLElement).closest('tr');
    if (!row || row.dataset.index === undefined) return;
    const rows = [...this.body.rows].filter((r) => r.dataset.index !== undefined);
    const i = rows.indexOf(row);
    const go = (j: number) => {
      const r = rows[Math.max(0, Math.min(rows.length - 1, j))];
      row.tabIndex = -1;
      r.tabIndex = 0;
      r.focus();
    };
    if (ev.key === 'ArrowDown') go(i + 1);
    else if (ev.key === 'ArrowUp') go(i - 1);
    else if (ev.key === 'Home') go(0);
    else if (ev.key === 'End') go(rows.length - 1);
    else if (ev.key === 'PageDown') go(i + 10);
    else if (ev.key === 'PageUp') go(i - 10);
    else if (ev.key === 'Enter' || ev.key === ' ') this.actions.selectLayer(Number(row.dataset.index));
    else return;
    ev.preventDefault();
  }

  private drawChart(): void {
    const n = this.layers.length;
    const c = this.chart;
    const bw = n > 300 ? 2 : n > 150 ? 3 : 6;
    const w = Math.max(1, n * bw), hgt = 48;
    if (c.width !== w) c.width = w;
    const ctx = c.getContext('2d')!;
    ctx.clearRect(0, 0, w, hgt);
    const max = Math.log1p(Math.max(1, ...this.layers.map((l) => l.count)));
    this.layers.forEach((l, i) => {
      const v = Math.log1p(l.count) / max;
      const k = Math.round((0.25 + 0.75 * v) * 255) * 3;
      ctx.fillStyle = `rgb(${inferno[k]}, ${inferno[k + 1]}, ${inferno[k + 2]})`;
      const bh = Math.max(2, v * (hgt - 4));
      ctx.fillRect(i * bw, hgt - bh, Math.max(1, bw - 1), bh);
    });
    if (this.selected !== undefined && this.selected < n) {
      ctx.fillStyle = 'rgba(0, 229, 255, 0.9)';
      ctx.fillRect(this.selected * bw, 0, Math.max(1, bw - 1), 3);
      ctx.fillRect(this.selected * bw, 0, 1, hgt);
    }
  }
}
