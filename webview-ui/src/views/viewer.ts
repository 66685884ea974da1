// The image with its explanation: heat map, kept points and box, with toggles, opacity and the mode; one
// figure, two side by side when a second class is compared, or three for "Why A, not B?" (A's own map, A
// rather than B, B's own map). Under the figures, what the mode means and how to read the points. Hovering
// reads the heat under the pointer.
import { modeLegend } from '../../../src/shared/mode';
import { heatOverlap, sharedFixations } from '../../../src/shared/overlap';
import type { OverlayOptions } from '../../../src/shared/overlay';
import type { PanelExplanation, Side } from '../../../src/shared/protocol';
import type { Actions } from '../actions';
import { colorbar, inferno } from '../draw/colormaps';
import { heatValues, paintOverlay } from '../draw/overlay';
import type { Photo } from '../draw/photo';
import { button, fill, h, uid } from '../dom';
import { count, percent, splitLabel } from '../format';
import type { HostData } from '../state';
import { ModeSwitch } from './modeSwitch';

interface Figure {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly head: HTMLElement;
  readonly foot: HTMLElement;
}

/** The order of the figures: the explained class first, the contrast between it and the compared class. */
const order: readonly Side[] = ['main', 'contrast', 'compare'];

const overlapTip =
  "The maps' weighted overlap: the histogram intersection of the two heat maps, each scaled to sum 1 (1: the same map, 0: no place in common).";

const name = (x: PanelExplanation) => splitLabel(x.result.target.label).name;

export class Viewer {
  readonly el: HTMLElement;
  private readonly figures: Record<Side, Figure>;
  private readonly readout = h('div', { class: 'readout', attrs: { 'aria-live': 'off' } });
  private readonly toggles: Record<'heat' | 'points' | 'box', HTMLInputElement>;
  private readonly opacity: HTMLInputElement;
  private readonly opacityValue = h('output', { class: 'opacity-value' });
  private readonly modeSwitch: ModeSwitch;
  private readonly grid = h('div', { class: 'figures' });
  private readonly legend = h('div', { class: 'mode-legend', attrs: { 'aria-live': 'polite' } });
  private photo: Photo | undefined;
  private data: HostData | undefined;
  private view: OverlayOptions | undefined;

  constructor(private readonly actions: Actions) {
    const toggle = (key: 'heat' | 'points' | 'box', label: string, swatch: string) => {
      const id = uid(`toggle-${key}`);
      const input = h('input', { attrs: { type: 'checkbox', id, 'data-toggle': key }, on: { change: () => actions.setOverlay({ [key]: input.checked }) } });
      return [
        input,
        h('label', { class: 'toggle', attrs: { for: id } }, input, h('span', { class: `swatch ${swatch}`, attrs: { 'aria-hidden': 'true' } }), label),
      ] as const;
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
    const heatScale = h(
      'span',
      { class: 'legend', attrs: { 'aria-hidden': 'true' } },
      h('span', { class: 'muted', text: 'cold' }),
      colorbar(inferno, 96, 8),
      h('span', { class: 'muted', text: 'hot' }),
    );
    this.modeSwitch = new ModeSwitch(actions);
    this.figures = { main: this.figure('main'), contrast: this.figure('contrast'), compare: this.figure('compare') };
    this.el = h(
      'section',
      { class: 'card viewer', attrs: { 'aria-label': 'Explanation overlay' } },
      h(
        'div',
        { class: 'toolbar' },
        this.modeSwitch.el,
        h(
          'div',
          { class: 'overlay-controls', attrs: { role: 'group', 'aria-label': 'Overlay' } },
          heatLabel,
          pointsLabel,
          boxLabel,
          h('label', { class: 'opacity', attrs: { for: opacityId } }, 'Opacity', this.opacity, this.opacityValue),
        ),
        heatScale,
      ),
      this.grid,
      this.legend,
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
    this.modeSwitch.update(data?.hostState.mode);
    const sides = this.sides();
    this.grid.classList.toggle('two', sides.length === 2);
    this.grid.classList.toggle('three', sides.length === 3);
    const els = sides.map((s) => this.figures[s].el);
    if (els.length !== this.grid.children.length || els.some((el, i) => this.grid.children[i] !== el)) fill(this.grid, ...els);
    if (data) for (const s of sides) this.caption(s, data);
    this.legendFor(data);
    this.redraw();
  }

  /** The figures shown, in order. */
  private sides(): Side[] {
    const d = this.data;
    return d ? order.filter((s) => d[s]) : ['main'];
  }

  private caption(side: Side, d: HostData): void {
    const f = this.figures[side];
    const x = d[side]!;
    const r = x.result;
    const p = r.predictions.find((q) => q.index === r.target.index);
    const { name: label, rest } = splitLabel(r.target.label);
    const versus = r.settings.versus !== null ? splitLabel(r.settings.versusLabel ?? `class ${r.settings.versus}`).name : undefined;
    if (side === 'contrast' && versus !== undefined) {
      // A, the chip saying how the two relate, B: the whole question in the head, each name shortened if it must be.
      // (The compared figure's × leaves the view: one way out, and room for the names.)
      const question = `Why ${label}, not ${versus}: what puts ${label}'s score above ${versus}'s`;
      fill(
        f.head,
        h('span', { class: 'fig-label', text: label, title: question }),
        h('span', { class: 'chip contrast', text: 'rather than', title: question }),
        h('span', { class: 'fig-label versus', text: versus, title: question }),
      );
    } else {
      fill(
        f.head,
        h('span', { class: `chip ${side}`, text: side === 'main' ? 'explained' : 'compared' }),
        h('span', { class: 'fig-label', text: label, title: rest ? `${label}, ${rest}` : undefined }),
        h('span', { class: 'muted fig-class', text: `class ${r.target.index}` }),
        p ? h('span', { class: 'fig-prob', text: percent(p.score) }) : null,
        side === 'compare' ? this.close(d) : null,
      );
    }
    const box = r.box ? `box ${r.box[0]},${r.box[1]} → ${r.box[2]},${r.box[3]}` : 'no box';
    const empty = r.keptPoints.length === 0;
    fill(
      f.foot,
      empty
        ? h('span', { class: 'warn', text: 'No fixation reached the image: nothing to draw for this class.' })
        : h('span', { text: `${count(r.inputFixations.length)} input fixations → ${count(r.keptPoints.length)} kept points · ${box}` }),
      ...(side === 'main' || empty ? [] : this.overlaps(side, d)),
    );
    const what = side === 'contrast' ? `${label} rather than ${versus}` : `class ${r.target.index} ${label}`;
    f.canvas.setAttribute('aria-label', `Heat map of ${what} over the image`);
  }

  /** The compared figure's ×: stops comparing, or leaves "why not" (whose compared class it is). */
  private close(d: HostData): HTMLButtonElement {
    return d.contrast
      ? button('×', () => this.actions.whyNot(undefined), {
          class: 'icon',
          title: 'Leave "why not" (the explained class alone again)',
          attrs: { 'aria-label': 'Leave why not' },
        })
      : button('×', () => this.actions.compare(undefined), { class: 'icon', title: 'Stop comparing', attrs: { 'aria-label': 'Stop comparing' } });
  }

  /**
   * How different a side really is from the explained class's own map (on wide GAP models most fixations are the
   * same for any class, their masses less so): shared input fixations and the maps' weighted overlap; the contrast
   * also against the compared class's own map.
   */
  private overlaps(side: Side, d: HostData): HTMLElement[] {
    const x = d[side]!;
    const against = [d.main, ...(side === 'contrast' && d.compare ? [d.compare] : [])];
    const figures = against.map((y) => ({ y, overlap: heatOverlap(y.heat, x.heat) })).filter((o) => o.overlap !== undefined);
    return [
      h('span', { class: 'shared', text: ` · ${count(sharedFixations(d.main.result.inputFixations, x.result.inputFixations))} shared with ${name(d.main)}` }),
      figures.length
        ? h('span', {
            class: 'overlap',
            title: overlapTip,
            text: ` · map overlap ${figures.map(({ y, overlap }) => `${overlap!.toFixed(2)} with ${name(y)}`).join(', ')}`,
          })
        : null,
    ].filter((e): e is HTMLElement => e !== null);
  }

  /** What the maps shown mean (one sentence per mode shown), and how to read the points. */
  private legendFor(d: HostData | undefined): void {
    if (!d) return fill(this.legend);
    const shown = this.sides().map((s) => d[s]!.result);
    const sentences = [...new Set(shown.map((r) => modeLegend(r)))];
    const weighted = shown.some((r) => r.settings.mode !== 'paper');
    const key = weighted
      ? h(
          'span',
          { class: 'points-key' },
          h(
            'span',
            { class: 'key-discs', attrs: { 'aria-hidden': 'true' } },
            h('span', { class: 'key-disc small' }),
            h('span', { class: 'key-disc medium' }),
            h('span', { class: 'key-disc large' }),
          ),
          "Point size and opacity: the fixation's share of the mass.",
        )
      : h(
          'span',
          { class: 'points-key' },
          h('span', { class: 'key-discs', attrs: { 'aria-hidden': 'true' } }, h('span', { class: 'key-disc large' })),
          'Paper mode: every point counts 1.',
        );
    fill(this.legend, ...sentences.map((t) => h('p', { class: 'legend-line', text: t })), key);
  }

  private redraw(): void {
    const { photo, data, view } = this;
    if (!photo || !data || !view) return;
    for (const side of this.sides()) {
      const x = data[side]!;
      const canvas = this.figures[side].canvas;
      paintOverlay(canvas, photo, x, view);
      canvas.style.setProperty('--aspect', String(photo.width / photo.height));
      // Upscaled tiny images (a 28×28 digit) keep square pixels on screen too.
      canvas.classList.toggle('pixelated', photo.scale >= 2);
      // Which class the pixels show (the tests wait on it; handy in the inspector too), and against which.
      canvas.dataset.classIndex = String(x.result.target.index);
      if (x.result.settings.versus !== null) canvas.dataset.versus = String(x.result.settings.versus);
      else delete canvas.dataset.versus;
    }
  }

  private hover(side: Side, canvas: HTMLCanvasElement, ev: MouseEvent): void {
    const x = this.data?.[side];
    const photo = this.photo;
    if (!x || !photo) return;
    const rect = canvas.getBoundingClientRect();
    const dx = Math.floor(((ev.clientX - rect.left) / rect.width) * photo.displayWidth);
    const dy = Math.floor(((ev.clientY - rect.top) / rect.height) * photo.displayHeight);
    if (dx < 0 || dy < 0 || dx >= photo.displayWidth || dy >= photo.displayHeight) return;
    const v = heatValues(x, photo)[dy * photo.displayWidth + dx];
    const versus =
      x.result.settings.versus !== null ? ` rather than ${splitLabel(x.result.settings.versusLabel ?? `class ${x.result.settings.versus}`).name}` : '';
    this.readout.textContent = `x ${Math.floor(dx / photo.scale)}, y ${Math.floor(dy / photo.scale)} · heat ${v.toFixed(2)} (${name(x)}${versus})`;
  }
}
