// Single-op models run in onnxruntime-node check our attribute parsing and index maths against the real
// thing: shapes we infer must be the shapes onnxruntime produces, and every output element of a pool or a
// layout op must hold exactly the input value at the index our rule sends its fixation to.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { SessionCache } from '../../src/runtime/session';
import { window2D } from '../../src/unravel/rules/spatial';
import { convAttrs } from '../../src/unravel/op-attrs';
import { OnnxNode } from '../../src/onnx/graph';
import { numel } from '../../src/unravel/tensor';
import { buildModel, randomTensor, rng, type ModelSpec, type NodeSpec } from '../helpers/onnx-build';
import { tmpFile } from '../helpers/tmp';
import { distinct, runSpec } from '../helpers/single-op';

const single = (node: NodeSpec, dims: number[], extra: Partial<ModelSpec> = {}): ModelSpec => ({
  nodes: [node],
  inputs: [{ name: 'x', dims }],
  outputs: node.outputs.map((o) => ({ name: o, dims: ['?'] })),
  ...extra,
});

describe('single-op models in onnxruntime: index remapping', () => {
  const cases: [string, ModelSpec][] = [
    [
      'MaxPool 3×3 s2 p1',
      single({ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } }, [1, 2, 7, 8]),
    ],
    [
      'MaxPool ceil_mode',
      single({ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } }, [1, 2, 8, 7]),
    ],
    [
      'MaxPool SAME_UPPER',
      single({ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' } }, [1, 1, 7, 7]),
    ],
    ['MaxPool dilations', single({ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2], dilations: [2, 2] } }, [1, 2, 6, 6])],
    ['GlobalMaxPool', single({ op: 'GlobalMaxPool', inputs: ['x'], outputs: ['y'] }, [1, 3, 4, 5])],
    ['ReduceMax over space', single({ op: 'ReduceMax', inputs: ['x'], outputs: ['y'], attrs: { axes: [2, 3], keepdims: 0 } }, [1, 3, 4, 5])],
    ['Transpose NHWC→NCHW', single({ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [0, 3, 1, 2] } }, [1, 4, 5, 3])],
    [
      'Concat axis 1',
      {
        nodes: [
          { op: 'Relu', inputs: ['x'], outputs: ['r'] },
          { op: 'Concat', inputs: ['x', 'r', 'x'], outputs: ['y'], attrs: { axis: 1 } },
        ],
        inputs: [{ name: 'x', dims: [1, 2, 3, 3] }],
        outputs: [{ name: 'y', dims: ['?'] }],
      },
    ],
    [
      'Split (opset 13 input)',
      {
        nodes: [
          { op: 'Split', inputs: ['x', 'sp'], outputs: ['a', 'b'], attrs: { axis: 1 } },
          { op: 'Concat', inputs: ['b', 'a'], outputs: ['y'], attrs: { axis: 1 } },
        ],
        inputs: [{ name: 'x', dims: [1, 5, 2, 3] }],
        outputs: [{ name: 'y', dims: ['?'] }],
        initializers: [{ name: 'sp', dims: [2], type: 7, values: [2, 3] }],
      },
    ],
    [
      'Slice with steps',
      single({ op: 'Slice', inputs: ['x', 's', 'e', 'ax', 'st'], outputs: ['y'] }, [1, 3, 8, 9], {
        initializers: [
          { name: 's', dims: [2], type: 7, values: [1, -2] },
          { name: 'e', dims: [2], type: 7, values: [7, 0] },
          { name: 'ax', dims: [2], type: 7, values: [2, 3] },
          { name: 'st', dims: [2], type: 7, values: [2, -3] },
        ],
      }),
    ],
    [
      'Pad edge',
      single({ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: 'edge' } }, [1, 2, 3, 4], {
        initializers: [{ name: 'p', dims: [8], type: 7, values: [0, 0, 1, 2, 0, 0, 2, 1] }],
      }),
    ],
    [
      'Pad reflect',
      single({ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: 'reflect' } }, [1, 1, 4, 5], {
        initializers: [{ name: 'p', dims: [8], type: 7, values: [0, 0, 2, 1, 0, 0, 1, 3] }],
      }),
    ],
    [
      'ShuffleNet channel shuffle',
      {
        nodes: [
          { op: 'Reshape', inputs: ['x', 's1'], outputs: ['r1'] },
          { op: 'Transpose', inputs: ['r1'], outputs: ['t'], attrs: { perm: [0, 2, 1, 3, 4] } },
          { op: 'Reshape', inputs: ['t', 's2'], outputs: ['y'] },
        ],
        inputs: [{ name: 'x', dims: [1, 6, 2, 2] }],
        outputs: [{ name: 'y', dims: ['?'] }],
        initializers: [
          { name: 's1', dims: [5], type: 7, values: [1, 2, 3, 2, 2] },
          { name: 's2', dims: [4], type: 7, values: [1, -1, 2, 2] },
        ],
      },
    ],
    [
      'Flatten + Unsqueeze + Squeeze',
      {
        nodes: [
          { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
          { op: 'Unsqueeze', inputs: ['f', 'ax'], outputs: ['u'] },
          { op: 'Squeeze', inputs: ['u', 'ax'], outputs: ['y'] },
        ],
        inputs: [{ name: 'x', dims: [1, 3, 2, 2] }],
        outputs: [{ name: 'y', dims: ['?'] }],
        initializers: [{ name: 'ax', dims: [1], type: 7, values: [2] }],
      },
    ],
  ];
  for (const [name, spec] of cases) {
    it(`${name}: inferred shape = onnxruntime's; each output element holds the value at its fixation's parent`, async () => {
      const dims = spec.inputs[0].dims as number[];
      const x = distinct(numel(dims), dims.length * 7 + name.length);
      const { open, forward, shapes } = await runSpec(spec, x);
      for (const o of spec.outputs) {
        const got = forward.outputs.get(o.name)!;
        assert.deepEqual([...shapes.get(o.name)!], [...got.dims], 'shape');
        for (let f = 0; f < got.data.length; f++) {
          const parents = open.unraveler.unravel(forward, o.name, f, 'x').input.fixations;
          assert.equal(parents.length, 1, `element ${f} has one parent`);
          assert.equal(x[parents[0]], got.data[f], `element ${f}`);
        }
      }
    });
  }
});

describe('single-op models in onnxruntime: Conv geometry', () => {
  const convs: [string, Record<string, number | number[] | string>, number[], number[]][] = [
    ['3×3 pad 1', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, [1, 3, 6, 7], [4, 3, 3, 3]],
    ['stride 2 asymmetric pads', { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 1, 2, 1] }, [1, 2, 9, 8], [3, 2, 3, 3]],
    ['dilation 2', { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 1, 2, 1] }, [1, 2, 8, 8], [2, 2, 3, 3]],
    ['groups 2', { kernel_shape: [3, 3], group: 2, pads: [1, 1, 1, 1] }, [1, 4, 5, 5], [6, 2, 3, 3]],
    ['depthwise stride 2', { kernel_shape: [3, 3], group: 4, strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 4, 7, 7], [4, 1, 3, 3]],
    ['SAME_UPPER stride 2', { kernel_shape: [4, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, [1, 2, 7, 6], [2, 2, 4, 3]],
    ['SAME_LOWER stride 2', { kernel_shape: [4, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' }, [1, 2, 7, 6], [2, 2, 4, 3]],
    ['VALID', { kernel_shape: [3, 2], strides: [2, 1], auto_pad: 'VALID' }, [1, 3, 6, 6], [2, 3, 3, 2]],
    ['kernel_shape omitted', { pads: [1, 1, 1, 1] }, [1, 2, 5, 5], [2, 2, 3, 3]],
  ];
  for (const [name, attrs, xd, wd] of convs) {
    it(`${name}: onnxruntime's output equals the sum over the taps our window reads`, async () => {
      const r = rng(xd[2] * 13 + wd[0]);
      const x = randomTensor(numel(xd), r);
      const w = randomTensor(numel(wd), r);
      const spec = single({ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs }, xd, { initializers: [{ name: 'w', dims: wd, values: w }] });
      const { forward, shapes } = await runSpec(spec, x);
      const y = forward.outputs.get('y')!;
      assert.deepEqual([...shapes.get('y')!], [...y.dims], 'shape');
      const node = new OnnxNode(0, 'c', 'Conv', '', ['x', 'w'], ['y'], new Map(Object.entries(attrs)));
      const win = window2D(convAttrs.of(node), xd, wd.slice(2));
      const [, cout, oh, ow] = y.dims;
      const G = (attrs.group as number) ?? 1,
        cinG = xd[1] / G;
      for (let f = 0; f < y.data.length; f++) {
        const c = Math.floor(f / (oh * ow)),
          oy = Math.floor(f / ow) % oh,
          ox = f % ow,
          g = Math.floor(c / (cout / G));
        let s = 0;
        for (let ci = 0; ci < cinG; ci++)
          for (let u = 0; u < win.h.kernel; u++)
            for (let v = 0; v < win.w.kernel; v++) {
              const yy = oy * win.h.stride - win.h.padBegin + u * win.h.dilation,
                xx = ox * win.w.stride - win.w.padBegin + v * win.w.dilation;
              if (yy < 0 || xx < 0 || yy >= xd[2] || xx >= xd[3]) continue;
              s += x[((g * cinG + ci) * xd[2] + yy) * xd[3] + xx] * w[((c * cinG + ci) * wd[2] + u) * wd[3] + v];
            }
        assert.ok(Math.abs(s - y.data[f]) < 1e-4, `element ${f}: ours ${s}, onnxruntime ${y.data[f]}`);
      }
    });
  }

  it('Gemm with transA, transB and alpha: our index maths reproduce onnxruntime', async () => {
    const r = rng(3);
    const a = randomTensor(6, r),
      b = randomTensor(12, r);
    const spec = single({ op: 'Gemm', inputs: ['x', 'b'], outputs: ['y'], attrs: { transA: 1, transB: 1, alpha: -0.5 } }, [6, 1], {
      initializers: [{ name: 'b', dims: [2, 6], values: b }],
    });
    const { forward, shapes } = await runSpec(spec, a);
    const y = forward.outputs.get('y')!;
    assert.deepEqual([...shapes.get('y')!], [...y.dims]);
    for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let i = 0; i < 6; i++) s += a[i] * b[j * 6 + i];
      assert.ok(Math.abs(-0.5 * s - y.data[j]) < 1e-5);
    }
  });
});

describe('session cache', () => {
  it('opens a model once, and again only when the file changes on disk', async () => {
    const file = tmpFile('cached.onnx', buildModel(single({ op: 'Relu', inputs: ['x'], outputs: ['y'] }, [1, 1, 2, 2])));
    const cache = new SessionCache();
    const stat = () => fs.statSync(file);
    const a = await cache.get(file, stat());
    const b = await cache.get(file, stat());
    assert.equal(a.cached, false);
    assert.equal(b.cached, true);
    assert.equal(b.model, a.model, 'the same session object');
    const later = new Date(stat().mtimeMs + 5000);
    fs.utimesSync(file, later, later); // "re-exported"
    const c = await cache.get(file, stat());
    assert.equal(c.cached, false);
    assert.notEqual(c.model, a.model);
    await cache.dispose();
  });
});
