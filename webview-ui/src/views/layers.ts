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
  private readonly chart = h('canvas', { class: 'layer-chart', attrs: { 'aria-hidden': 'true' } });
  private readonly body = h('tbody');
  private readonly tableWrap: HTMLElement;
  private layers: readonly LayerJson[] = [];
  private rows: HTMLTableRowElement[] = [];
  private haystack: string[] = [];
  private readonly emptyCell = h('td', { class: 'empty', attrs: { colspan: 5 } });
  private readonly emptyRow = h('tr', { class: 'empty-row' }, this.emptyCell);
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
    this.tableWrap = h('div', { class: 'table-wrap' }, table);
    this.body.addEventListener('keydown', (ev) => this.key(ev));
    new ResizeObserver(() => this.drawChart()).observe(this.chart);
    this.el = h(
      'div',
      { class: 'layer-list' },
      h('div', { class: 'list-head' }, this.filter, this.summary),
      h(
        'div',
        { class: 'chart-wrap' },
        this.chart,
        h(
          'div',
          { class: 'chart-axis muted' },
          h('span', { text: '← output' }),
          h('span', { text: 'fixations per layer (log scale)' }),
          h('span', { text: 'input →' }),
        ),
      ),
      this.tableWrap,
    );
  }

  update(data: HostData | undefined, filter: string, selected: number | undefined): void {
    const layers = data?.main.result.layers ?? [];
    const newWalk = layers !== this.layers;
    if (newWalk) {
      this.layers = layers;
      this.buildRows();
      this.filterText = '\u0000'; // force the filter pass below
    }
    if (filter !== this.filterText) {
      this.filterText = filter;
      this.applyFilter();
    }
    if (this.filter.value !== filter) this.filter.value = filter;
    const moved = selected !== this.selected;
    this.select(selected);
    // The chart reads the layout (its width): only when it shows something new, not per filter keystroke.
    if (newWalk || moved) this.drawChart();
  }

  /** One row per layer, built when the walk changes; the filter only hides rows (fast for 1000s). */
  private buildRows(): void {
    const max = Math.max(1, ...this.layers.map((l) => l.count));
    this.rows = this.layers.map((l, i) => {
      const bar = h('span', { class: 'fill' });
      bar.style.width = `${(100 * Math.log1p(l.count)) / Math.log1p(max)}%`;
      const notes = l.notes?.length
        ? h('span', { class: 'note-mark', text: '⚠', title: l.notes.join('\n'), attrs: { 'aria-label': `fall-back: ${l.notes.join('; ')}` } })
        : null;
      return h(
        'tr',
        { attrs: { tabindex: -1, 'data-index': i, 'aria-selected': 'false' }, on: { click: () => this.actions.selectLayer(i) } },
        h('td', { class: 'num', text: String(i) }),
        h('td', { class: 'op' }, h('span', { class: 'op-tag', text: l.op }), notes),
        h('td', { class: 'node', text: l.node || '(unnamed)', title: `node ${l.node}\ntensor ${l.tensor}` }),
        h('td', { class: 'shape', text: shape(l.shape) }),
        h(
          'td',
          { class: 'count' },
          h('span', { class: 'count-num', text: count(l.count) }),
          h('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, bar),
        ),
      );
    });
    this.haystack = this.layers.map((l) => `${l.op} ${l.node} ${l.tensor}`.toLowerCase());
    fill(this.body, ...this.rows, this.emptyRow);
    this.selected = undefined;
  }

  private applyFilter(): void {
    const q = this.filterText.trim().toLowerCase();
    let shown = 0;
    this.rows.forEach((row, i) => {
      const on = !q || this.haystack[i].includes(q);
      if (row.hidden === on) row.hidden = !on;
      if (on) shown++;
    });
    this.emptyRow.hidden = shown > 0;
    this.emptyCell.textContent = q ? 'No layer matches the filter.' : 'No layers.';
    this.summary.textContent = q ? `${shown} of ${this.layers.length} layers` : `${this.layers.length} layers`;
  }

  private select(index: number | undefined): void {
    const moved = index !== this.selected;
    const before = this.selected !== undefined ? this.rows[this.selected] : undefined;
    this.selected = index;
    const row = index !== undefined ? this.rows[index] : undefined;
    if (before && before !== row) before.setAttribute('aria-selected', 'false');
    row?.setAttribute('aria-selected', 'true');
    // One row in the Tab order: the selected one if shown, else the first shown.
    for (const r of this.body.querySelectorAll('tr[tabindex="0"]')) (r as HTMLElement).tabIndex = -1;
    const focusable = row && !row.hidden ? row : this.rows.find((r) => !r.hidden);
    if (focusable) focusable.tabIndex = 0;
    if (moved && row && !row.hidden) this.reveal(row);
  }

  /** Scrolls the table (only the table, never the page) so the row is in view, e.g. after a chart click. */
  private reveal(row: HTMLElement): void {
    const wrap = this.tableWrap;
    const head = wrap.querySelector('thead')?.getBoundingClientRect().height ?? 0;
    const top = row.offsetTop,
      bottom = top + row.offsetHeight;
    if (top - head < wrap.scrollTop) wrap.scrollTop = top - head;
    else if (bottom > wrap.scrollTop + wrap.clientHeight) wrap.scrollTop = bottom - wrap.clientHeight;
  }

  private key(ev: KeyboardEvent): void {
    const row = (ev.target as HTMLElement).closest('tr');
    if (!row || row.dataset.index === undefined) return;
    const rows = this.rows.filter((r) => !r.hidden);
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

  /** Drawn at the element's own pixel size (redrawn on resize) so bars stay crisp for 10 or 1000 layers. */
  private drawChart(): void {
    const n = this.layers.length;
    const c = this.chart;
    const cssW = c.clientWidth,
      cssH = c.clientHeight;
    if (!cssW || !cssH) return; // hidden (another tab): the resize observer draws it when shown
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(cssW * dpr);
    c.height = Math.round(cssH * dpr);
    const ctx = c.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    if (!n) return;
    const bw = cssW / n,
      gap = bw > 4 ? 1 : 0;
    const max = Math.log1p(Math.max(1, ...this.layers.map((l) => l.count)));
    if (this.selected !== undefined && this.selected < n) {
      ctx.fillStyle = 'rgba(0, 229, 255, 0.22)';
      ctx.fillRect(this.selected * bw, 0, Math.max(1, bw), cssH);
    }
    this.layers.forEach((l, i) => {
      const v = Math.log1p(l.count) / max;
      const k = Math.round((0.25 + 0.75 * v) * 255) * 3;
      ctx.fillStyle = `rgb(${inferno[k]}, ${inferno[k + 1]}, ${inferno[k + 2]})`;
      const bh = Math.max(2, v * (cssH - 5));
      ctx.fillRect(i * bw, cssH - bh, Math.max(1, bw - gap), bh);
    });
    if (this.selected !== undefined && this.selected < n) {
      ctx.fillStyle = 'rgb(0, 229, 255)';
      ctx.fillRect(this.selected * bw, 0, Math.max(2, bw - gap), 3);
    }
  }
}
