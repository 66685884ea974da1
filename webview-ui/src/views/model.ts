// The model at a glance: file, producer, opsets, inputs and outputs, how the image was preprocessed,
// and which operators it is made of.
import type { ModelSummary } from '../../../src/shared/protocol';
import { fill, h } from '../dom';
import { count, shape } from '../format';

export class ModelView {
  readonly el = h('div', { class: 'model-view' });

  update(m: ModelSummary | undefined): void {
    if (!m) return fill(this.el, h('p', { class: 'placeholder', text: 'No model yet.' }));
    const kv = (pairs: [string, string | HTMLElement][]) => h('dl', { class: 'kv' }, ...pairs.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));
    const io = (title: string, rows: ModelSummary['inputs']) =>
      h(
        'div',
        {},
        h('h4', { text: title }),
        h(
          'table',
          { class: 'plain' },
          h('thead', {}, h('tr', {}, h('th', { text: 'name' }), h('th', { text: 'shape' }), h('th', { text: 'type' }))),
          h(
            'tbody',
            {},
            ...rows.map((r) => h('tr', {}, h('td', {}, h('code', { text: r.name })), h('td', { text: shape(r.dims) }), h('td', { text: r.type }))),
          ),
        ),
      );
    const top = m.opCounts[0]?.[1] ?? 1;
    const ops = h(
      'ul',
      { class: 'op-counts', attrs: { 'aria-label': 'Operators by count' } },
      ...m.opCounts.map(([op, n]) => {
        const bar = h('span', { class: 'fill' });
        bar.style.width = `${(100 * n) / top}%`;
        return h(
          'li',
          {},
          h('span', { class: 'op-tag', text: op }),
          h('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, bar),
          h('span', { class: 'num', text: count(n) }),
        );
      }),
    );
    fill(
      this.el,
      h(
        'div',
        { class: 'model-grid' },
        h(
          'div',
          {},
          kv([
            ['file', h('span', { text: m.fileName, title: m.path })],
            ['path', h('code', { class: 'path', text: m.path })],
            ['producer', m.producer || '—'],
            ['opsets', m.opsets.map((o) => `${o.domain} ${o.version}`).join(', ') || '—'],
            ['nodes', count(m.nodeCount)],
            ['kept tensors', `${count(m.exposedTensors)} intermediate tensors exposed for the walk`],
            ['preprocessing', m.preprocessing],
          ]),
          io('Inputs', m.inputs),
          io('Outputs', m.outputs),
        ),
        h('div', {}, h('h4', { text: `Operators (${m.opCounts.length} types)` }), ops),
      ),
    );
  }
}
