// One layer of the walk: where its fixations sit on the layer's own grid, where those cells look in the
// image (receptive-field centres), which channels hold them (click one to see it), and that channel's
// activation map. In the modes with masses, cells, discs and channels go by their share of the class's mass
// (many fixations can carry little of it).
import type { LayerDetail } from '../../../src/shared/protocol';
import type { LayerJson } from '../../../src/shared/result';
import type { Actions } from '../actions';
import { colorbar, diverging, inferno } from '../draw/colormaps';
import { drawActivation, drawCells, drawProjected } from '../draw/layerMaps';
import type { Photo } from '../draw/photo';
import { button, fill, h } from '../dom';
import { count, percent, shape } from '../format';

export class LayerDetailView {
  readonly el = h('div', { class: 'layer-detail', attrs: { 'aria-live': 'polite' } });
  private detail: LayerDetail | undefined;
  private photo: Photo | undefined;

  constructor(private readonly actions: Actions) {
    this.placeholder('Choose a layer to see its fixations.');
  }

  private placeholder(text: string): void {
    fill(this.el, h('p', { class: 'placeholder', text }));
  }

  setPhoto(photo: Photo | undefined): void {
    this.photo = photo;
    if (this.detail) this.render(this.detail, undefined);
  }

  loading(index: number, layer: LayerJson | undefined): void {
    if (this.detail?.layerIndex === index) return;
    this.el.classList.add('stale');
    if (!this.detail && layer) this.placeholder(`Loading layer ${index} (${layer.op})…`);
  }

  clear(text = 'Choose a layer to see its fixations.'): void {
    this.detail = undefined;
    this.el.classList.remove('stale');
    this.placeholder(text);
  }

  render(d: LayerDetail, layer: LayerJson | undefined): void {
    this.detail = d;
    this.el.classList.remove('stale');
    const total = layer?.count ?? d.cellCounts.reduce((a, b) => a + b, 0);
    const cells = d.cellCounts.reduce((n, c) => n + (c ? 1 : 0), 0);
    const spatial = d.gridWidth * d.gridHeight > 1;
    const head = h(
      'div',
      { class: 'detail-head' },
      h(
        'h3',
        {},
        h('span', { class: 'muted', text: `Layer ${d.layerIndex} · ` }),
        h('span', { class: 'op-tag', text: d.op }),
        ' ',
        h('span', { class: 'detail-node', text: d.node || '(unnamed node)' }),
      ),
      h(
        'dl',
        { class: 'kv inline' },
        h('dt', { text: 'tensor' }),
        h('dd', {}, h('code', { text: d.tensor })),
        h('dt', { text: 'shape' }),
        h('dd', { text: shape(d.shape) }),
        h('dt', { text: 'fixations' }),
        h('dd', { text: spatial ? `${count(total)} in ${count(cells)} of ${count(d.gridWidth * d.gridHeight)} cells` : count(total) }),
        ...(d.cellMass ? [h('dt', { text: 'mass' }), h('dd', { text: `${percent(d.cellMass.reduce((a, b) => a + b, 0))} of the class's` })] : []),
      ),
      layer?.notes?.length ? h('p', { class: 'warn', text: `Fall-back: ${layer.notes.join('; ')}` }) : null,
    );
    const maps = spatial
      ? this.maps(d)
      : h('p', {
          class: 'placeholder',
          text: `A vector of ${count(d.shape.reduce((a, b) => a * b, 1))} values: no spatial grid to draw. The units holding fixations are listed below.`,
        });
    fill(this.el, head, maps, this.channels(d, spatial));
  }

  private maps(d: LayerDetail): HTMLElement {
    const byMass = !!d.cellMass;
    const cells = h('canvas', {
      class: 'grid-map',
      attrs: { 'data-map': 'cells', role: 'img', 'aria-label': `${byMass ? 'Mass' : 'Fixations'} per cell of the ${d.gridHeight}×${d.gridWidth} grid` },
    });
    const max = drawCells(cells, d);
    const most = byMass ? `max ${percent(max)} of the mass per cell` : `max ${max} per cell`;
    const cellInfo = h('span', { class: 'muted', text: most });
    cells.addEventListener('mousemove', (ev) => {
      const r = cells.getBoundingClientRect();
      const x = Math.floor(((ev.clientX - r.left) / r.width) * d.gridWidth),
        y = Math.floor(((ev.clientY - r.top) / r.height) * d.gridHeight);
      if (x < 0 || y < 0 || x >= d.gridWidth || y >= d.gridHeight) return;
      const p = y * d.gridWidth + x;
      cellInfo.textContent = `cell (${y}, ${x}): ${d.cellCounts[p]} fixations${d.cellMass ? `, ${percent(d.cellMass[p])} of the mass` : ''}`;
    });
    cells.addEventListener('mouseleave', () => (cellInfo.textContent = most));
    const title = `${byMass ? 'Mass' : 'Fixations'} on the ${d.gridHeight}×${d.gridWidth} grid`;
    const figCells = h(
      'figure',
      { class: 'map' },
      h('div', { class: 'map-frame' }, cells),
      h('figcaption', {}, h('strong', { text: title }), h('span', { class: 'scale' }, colorbar(inferno, 64, 6), cellInfo)),
    );

    const projected = h('canvas', {
      class: 'projected',
      attrs: { 'data-map': 'projected', role: 'img', 'aria-label': 'Receptive-field centres of the fixated cells on the image' },
    });
    if (this.photo) drawProjected(projected, this.photo, d);
    const figProjected = h(
      'figure',
      { class: 'map' },
      h('div', { class: 'map-frame' }, projected),
      h(
        'figcaption',
        {},
        h('strong', { text: 'Projected onto the image' }),
        h('span', { class: 'muted', text: `${d.projected.length} receptive-field centres, disc area ∝ ${byMass ? 'mass' : 'fixations'}` }),
      ),
    );

    let figAct: HTMLElement;
    if (d.activation) {
      const act = h('canvas', { class: 'grid-map', attrs: { 'data-map': 'activation', role: 'img', 'aria-label': `Activation map of channel ${d.channel}` } });
      const { min, max: hi, lut } = drawActivation(act, d, d.activation);
      const range = lut === diverging ? `${fmt(min)} … ${fmt(hi)}, white = 0` : `0 … ${fmt(hi)}`;
      figAct = h(
        'figure',
        { class: 'map' },
        h('div', { class: 'map-frame' }, act),
        h(
          'figcaption',
          {},
          h('strong', { text: `Activation of channel ${d.channel}` }),
          h('span', { class: 'scale' }, colorbar(lut, 64, 6), h('span', { class: 'muted', text: range })),
        ),
      );
    } else {
      figAct = h(
        'figure',
        { class: 'map' },
        h(
          'div',
          { class: 'map-frame empty', attrs: { 'data-map': 'activation-note' } },
          h('p', { text: d.activationNote ?? 'No activation map for this layer.' }),
        ),
        h('figcaption', {}, h('strong', { text: d.channel !== undefined ? `Activation of channel ${d.channel}` : 'Activation' })),
      );
    }
    return h('div', { class: 'maps' }, figCells, figProjected, figAct);
  }

  private channels(d: LayerDetail, spatial: boolean): HTMLElement {
    if (!d.topChannels.length) return h('p', { class: 'muted', text: 'No channel holds fixations.' });
    const byMass = !!d.cellMass;
    const size = (t: (typeof d.topChannels)[number]) => (byMass ? (t[2] ?? 0) : t[1]);
    const top = size(d.topChannels[0]) || 1;
    return h(
      'div',
      { class: 'channels' },
      h('h4', { text: `${spatial ? 'Channels' : 'Units'} holding the most ${byMass ? 'mass' : 'fixations'}` }),
      h(
        'div',
        { class: 'chips', attrs: { role: 'group', 'aria-label': 'Channels' } },
        ...d.topChannels.map((t) => {
          const [c, n, m] = t;
          const holds = `${count(n)} fixation${n === 1 ? '' : 's'}${m !== undefined ? `, ${percent(m)} of the mass` : ''}`;
          const b = button('', () => this.actions.selectLayer(d.layerIndex, c), {
            class: 'chip-btn',
            title: spatial ? `Channel ${c}: ${holds}. Show its activation` : `Unit ${c}: ${holds}`,
            attrs: { 'aria-pressed': c === d.channel ? 'true' : 'false', 'data-channel': c, disabled: !spatial },
          });
          const bar = h('span', { class: 'fill' });
          bar.style.width = `${(100 * size(t)) / top}%`;
          b.append(
            h('span', { class: 'chip-c', text: `ch ${c}` }),
            h('span', { class: 'chip-n', text: byMass ? percent(m ?? 0) : count(n) }),
            h('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, bar),
          );
          return b;
        }),
      ),
    );
  }
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e4) ? v.toExponential(1) : v.toFixed(2);
}
