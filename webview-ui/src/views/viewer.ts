// The image with its explanation: heat map, kept points and box, with toggles and opacity; one figure,
// or two side by side when a second class is compared. Hovering reads the heat under the pointer.
import { sharedFixations } from '../../../src/shared/overlap';
import type { OverlayOptions } from '../../../src/shared/overlay';
import type { PanelExplanation } from '../../../src/shared/protocol';
import type { Actions } from '../actions';
import { colorbar, inferno } from '../draw/colormaps';
import { heatValues, paintOverlay } from '../draw/overlay';
import type { Photo } from '../draw/photo';
import { button, fill, h, uid } from '../dom';
import { count, percent, splitLabel } from '../format';
import type { HostData } from '../state';

type Side = 'main' | 'compare';

interface Figure {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly head: HTMLElement;
  readonly foot: HTMLElement;
}

export class Viewer {
  readonly el: HTMLElement;
  private readonly figures: Record<Side, Figure>;
  private readonly readout = h('div', { class: 'readout', attrs: { 'aria-live': 'off' } });
  private readonly toggles: Record<'heat' | 'points' | 'box', HTMLInputElement>;
  private readonly opacity: HTMLInputElement;
  private readonly opacityValue = h('output', { class: 'opacity-value' });
  private readonly grid = h('div', { class: 'figures' });
  private photo: Photo | undefined;
  private data: HostData | undefined;
  private view: OverlayOptions | undefined;

  constructor(private readonly actions: Actions) {
    const toggle = (key: 'heat' | 'points' | 'box', label: string, swatch: string) => {
      const id = uid(`toggle-${key}`);
      const input = h('input', { attrs: { type: 'checkbox', id, 'data-toggle': key }, on: { change: () => actions.setOverlay({ [key]: input.checked }) } });
      return [input, h('label', { class: 'toggle', attrs: { for: id } }, input, h('span', { class: `swatch ${swatch}`, attrs: { 'aria-hidden': 'true' } }), label)] as const;
    };
    const [heat, heatLabel] = toggle('heat', 'Heat map', 'swatch-heat');
    const [points, pointsLabel] = toggle('points', 'Points', 'swatch-points');
    const [box, boxLabel] = toggle('box', 'Box', 'swatch-box');
    this.toggles = { heat, points, box };
    const opacityId = uid('opacity');
    this.opacity = h('input', {
      attrs: { type: 'range', id: opacityId, min: 0, max: 100, step: 1, 'aria-label': 'Heat map opacity' },
      on: { input: () => actions.setOverlay({ opacity: Number(this.opacity.value) / 100 }) },
    });
    const legend = h('span', { class: 'legend', attrs: { 'aria-hidden': 'true' } }, h('span', { class: 'muted', text: 'cold' }), colorbar(inferno, 96, 8), h('span', { class: 'muted', text: 'hot' }));
    this.figures = { main: this.figure('main'), compare: this.figure('compare') };
    this.el = h(
      'section',
      { class: 'card viewer', attrs: { 'aria-label': 'Explanation overlay' } },
      h('div', { class: 'toolbar', attrs: { role: 'group', 'aria-label': 'Overlay' } }, heatLabel, pointsLabel, boxLabel, h('label', { class: 'opacity', attrs: { for: opacityId } }, 'Opacity', this.opacity, this.opacityValue), legend),
      this.grid,
      this.readout,
    );
  }

  private figure(side: Side): Figure {
    const canvas = h('canvas', { class: 'overlay', attrs: { 'data-side': side, role: 'img' } });
    canvas.addEventListener('mousemove', (ev) => this.hover(side, canvas, ev));
    canvas.addEventListener('mouseleave', () => (this.readout.textContent = ''));
    const head = h('figcaption', { class: 'fig-head' });
    const foot = h('div', { class: 'fig-foot' });
    const el = h('figure', { class: 'figure', attrs: { 'data-side': side } }, head, h('div', { class: 'canvas-wrap' }, canvas), foot);
    return { el, canvas, head, foot };
  }

  setPhoto(photo: Photo | undefined): void {
    this.photo = photo;
    this.redraw();
  }

  update(data: HostData | undefined, view: OverlayOptions): void {
    this.data = data;
    this.view = view;
    for (const k of ['heat', 'points', 'box'] as const) this.toggles[k].checked = view[k];
    this.opacity.value = String(Math.round(view.opacity * 100));
    this.opacityValue.textContent = `${Math.round(view.opacity * 100)}%`;
    this.opacity.disabled = !view.heat;
    const sides: Side[] = data?.compare ? ['main', 'compare'] : ['main'];
    this.grid.classList.toggle('two', sides.length === 2);
    if (this.grid.children.length !== sides.length) fill(this.grid, ...sides.map((s) => this.figures[s].el));
    if (data) {
      this.caption('main', data.main);
      if (data.compare) this.caption('compare', data.compare, data.main);
    }
    this.redraw();
  }

  private caption(side: Side, x: PanelExplanation, against?: PanelExplanation): void {
    const f = this.figures[side];
    const r = x.result;
    const p = r.predictions.find((q) => q.index === r.target.index);
    const { name, rest } = splitLabel(r.target.label);
    fill(
      f.head,
      h('span', { class: `chip ${side}`, text: side === 'main' ? 'explained' : 'compared' }),
      h('span', { class: 'fig-label', text: name, title: rest ? `${name}, ${rest}` : undefined }),
      h('span', { class: 'muted', text: `class ${r.target.index}` }),
      p ? h('span', { class: 'fig-prob', text: percent(p.score) }) : null,
      side === 'compare' ? button('×', () => this.actions.compare(undefined), { class: 'icon', title: 'Stop comparing', attrs: { 'aria-label': 'Stop comparing' } }) : null,
    );
    const box = r.box ? `box ${r.box[0]},${r.box[1]} → ${r.box[2]},${r.box[3]}` : 'no box';
    const empty = r.keptPoints.length === 0;
    fill(
      f.foot,
      empty
        ? h('span', { class: 'warn', text: 'No fixation reached the image: nothing to draw for this class.' })
        : h('span', { text: `${count(r.inputFixations.length)} input fixations → ${count(r.keptPoints.length)} kept points · ${box}` }),
      // How different the compared class really is: on wide GAP models most fixations are the same for any class.
      against && !empty
        ? h('span', { class: 'shared', text: ` · ${count(sharedFixations(against.result.inputFixations, r.inputFixations))} shared with ${splitLabel(against.result.target.label).name}` })
        : null,
    );
    f.canvas.setAttribute('aria-label', `Heat map of class ${r.target.index} ${name} over the image`);
  }

  private redraw(): void {
    const { photo, data, view } = this;
    if (!photo || !data || !view) return;
    const draw = (side: Side, x: PanelExplanation) => {
      const canvas = this.figures[side].canvas;
      paintOverlay(canvas, photo, x, view);
      canvas.style.setProperty('--aspect', String(photo.width / photo.height));
      // Upscaled tiny images (a 28×28 digit) keep square pixels on screen too.
      canvas.classList.toggle('pixelated', photo.scale >= 2);
      // Which class the pixels show (the tests wait on it; handy in the inspector too).
      canvas.dataset.classIndex = String(x.result.target.index);
    };
    draw('main', data.main);
    if (data.compare) draw('compare', data.compare);
  }

  private hover(side: Side, canvas: HTMLCanvasElement, ev: MouseEvent): void {
    const x = side === 'main' ? this.data?.main : this.data?.compare;
    const photo = this.photo;
    if (!x || !photo) return;
    const rect = canvas.getBoundingClientRect();
    const dx = Math.floor(((ev.clientX - rect.left) / rect.width) * photo.displayWidth);
    const dy = Math.floor(((ev.clientY - rect.top) / rect.height) * photo.displayHeight);
    if (dx < 0 || dy < 0 || dx >= photo.displayWidth || dy >= photo.displayHeight) return;
    const v = heatValues(x, photo)[dy * photo.displayWidth + dx];
    this.readout.textContent = `x ${Math.floor(dx / photo.scale)}, y ${Math.floor(dy / photo.scale)} · heat ${v.toFixed(2)} (${splitLabel(x.result.target.label).name})`;
  }
}
