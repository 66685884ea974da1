// Resize and Upsample (ALGORITHM.md, Rules): every opset form (Upsample 7 and 9, Resize 10, 11, 13, 18) and
// mode built into a small model and run in onnxruntime: our shape and our folding kernel reproduce its output;
// nearest sends each output element to the input element holding its value, linear and cubic to the tap with
// the largest weight × activation, checked against a brute force written from the spec's formulas.
import { strict as assert } from 'node:assert';
import { resizeKernel } from '../../src/unravel/kernels/resize';
import { OnnxNode } from '../../src/onnx/graph';
import { numel } from '../../src/unravel/tensor';
import { UnsupportedError } from '../../src/unravel/types';
import type { Attr, ModelSpec } from '../helpers/onnx-build';
import { distinct, runSpec } from '../helpers/single-op';
import { walkModel } from '../helpers/walk';

const f32 = (name: string, dims: number[], values: number[]) => ({ name, dims, values });
const i64 = (name: string, dims: number[], values: number[]) => ({ name, dims, type: 7, values });

interface Case {
  readonly name: string;
  readonly spec: ModelSpec;
}

function resize(opset: number, inputs: string[], attrs: Record<string, Attr>, inits: ModelSpec['initializers'], dims = [1, 2, 3, 4], op = 'Resize'): ModelSpec {
  return {
    opset,
    nodes: [{ op, inputs: ['x', ...inputs], outputs: ['y'], attrs }],
    inputs: [{ name: 'x', dims }],
    outputs: [{ name: 'y' }],
    initializers: inits,
  };
}

const up2 = f32('s', [4], [1, 1, 2, 2]);
const cases: Case[] = [
  { name: 'Upsample-7, scales attribute, nearest', spec: resize(7, [], { scales: { floats: [1, 1, 2, 3] } }, [], undefined, 'Upsample') },
  { name: 'Upsample-9, scales input, nearest', spec: resize(9, ['s'], { mode: 'nearest' }, [up2], undefined, 'Upsample') },
  { name: 'Upsample-9, linear', spec: resize(9, ['s'], { mode: 'linear' }, [up2], undefined, 'Upsample') },
  // torch's F.interpolate(size=(12, 7)) of a 4×5 map at opset 9: scales 3 and 7/5 = 1.4f; 5 × 1.4f is 6.9999999 in
  // float64 but 7 in float32, as onnxruntime multiplies (the output once had 6 columns here and wrapped the 7th)
  {
    name: 'Upsample-9 nearest, scale 1.4 (7 columns from 5, counted in float32)',
    spec: resize(9, ['s'], { mode: 'nearest' }, [f32('s', [4], [1, 1, 3, 1.4])], [1, 2, 4, 5], 'Upsample'),
  },
  { name: 'Resize-10 nearest', spec: resize(10, ['s'], { mode: 'nearest' }, [up2]) },
  { name: 'Resize-13 linear, scale 1.4', spec: resize(13, ['', 's'], { mode: 'linear' }, [f32('s', [4], [1, 1, 1.4, 1.4])], [1, 2, 5, 5]) },
  { name: 'Resize-10 linear', spec: resize(10, ['s'], { mode: 'linear' }, [up2]) },
  {
    name: 'Resize-11 nearest half_pixel, empty roi (F.interpolate scale_factor=2)',
    spec: resize(11, ['r', 's'], { mode: 'nearest' }, [f32('r', [0], []), up2]),
  },
  {
    name: 'Resize-13 nearest asymmetric floor (torch nearest)',
    spec: resize(13, ['', 's'], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, [f32('s', [4], [1, 1, 1.5, 2.5])]),
  },
  {
    name: 'Resize-13 nearest round_prefer_ceil, downsampling',
    spec: resize(13, ['', 's'], { mode: 'nearest', nearest_mode: 'round_prefer_ceil' }, [f32('s', [4], [1, 1, 0.7, 0.5])], [1, 2, 5, 6]),
  },
  {
    name: 'Resize-13 linear half_pixel, sizes (scales empty)',
    spec: resize(13, ['', 'e', 'z'], { mode: 'linear' }, [f32('e', [0], []), i64('z', [4], [1, 2, 7, 9])]),
  },
  {
    name: 'Resize-13 linear align_corners (bilinear, align_corners=True)',
    spec: resize(13, ['', 's'], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, [up2]),
  },
  {
    name: 'Resize-13 linear pytorch_half_pixel, downsampling',
    spec: resize(13, ['', 's'], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, [f32('s', [4], [1, 1, 0.5, 0.5])], [1, 2, 6, 8]),
  },
  { name: 'Resize-13 cubic half_pixel', spec: resize(13, ['', 's'], { mode: 'cubic' }, [up2]) },
  {
    name: 'Resize-13 cubic A=-0.5, exclude_outside, asymmetric',
    spec: resize(13, ['', 's'], { mode: 'cubic', cubic_coeff_a: { float: -0.5 }, exclude_outside: 1, coordinate_transformation_mode: 'asymmetric' }, [up2]),
  },
  {
    name: 'Resize-18 linear on axes [2, 3] only',
    spec: resize(18, ['', 's'], { mode: 'linear', axes: [2, 3] }, [f32('s', [2], [2, 1.5])]),
  },
];

/** The spec's output as the kernel computes it when the input is a constant (constant folding). */
function folded(spec: ModelSpec, x: Float32Array) {
  const n = spec.nodes[0];
  const node = new OnnxNode(0, 'r', n.op, '', ['x', ...n.inputs.slice(1)], ['y'], new Map(Object.entries(n.attrs ?? {}).map(([k, v]) => [k, plain(v)])));
  const inputs = node.inputs.map((name, i) => {
    if (i === 0) return { type: 1, dims: spec.inputs[0].dims as number[], data: x };
    const t = spec.initializers?.find((c) => c.name === name);
    return t ? { type: t.type ?? 1, dims: t.dims, data: Float64Array.from(t.values) } : undefined;
  });
  return resizeKernel.run(node, inputs)[0];
}

function plain(v: Attr): number | number[] | string {
  if (typeof v === 'object' && !Array.isArray(v)) return 'floats' in v ? v.floats : 'float' in v ? v.float : NaN;
  return v;
}

describe('Resize and Upsample in onnxruntime: shapes, folding, parents', () => {
  for (const { name, spec } of cases) {
    it(`${name}: shape and folded values = onnxruntime's; each parent is a tap that explains the output`, async () => {
      const dims = spec.inputs[0].dims as number[];
      const x = distinct(numel(dims), name.length);
      const { open, forward, shapes } = await runSpec(spec, x);
      const y = forward.outputs.get('y')!;
      assert.deepEqual([...shapes.get('y')!], [...y.dims], 'shape');
      const ours = folded(spec, x);
      assert.deepEqual([...ours.dims], [...y.dims], 'folded dims');
      for (let f = 0; f < y.data.length; f++)
        assert.ok(Math.abs(ours.data[f] - y.data[f]) < 1e-4, `element ${f}: folded ${ours.data[f]}, onnxruntime ${y.data[f]}`);
      const nearest = (spec.nodes[0].attrs?.mode ?? 'nearest') === 'nearest';
      for (let f = 0; f < y.data.length; f++) {
        const parents = open.unraveler.unravel(forward, 'y', f, 'x').input.fixations;
        assert.equal(parents.length, 1, `element ${f} has one parent`);
        // nearest: the copied element; linear and cubic: an element within two input steps of where the output reads
        if (nearest) assert.equal(x[parents[0]], y.data[f], `element ${f}`);
        else assert.ok(near(parents[0], f, dims, [...y.dims]), `element ${f}: parent ${parents[0]} is not among its taps`);
      }
    });
  }
});

/** Whether input element p lies within two steps, along every axis, of the input position output element f maps to (any transform). */
function near(p: number, f: number, x: number[], y: number[]): boolean {
  const coords = (i: number, d: number[]) => d.map((_, k) => Math.floor(i / numel(d.slice(k + 1))) % d[k]);
  const pc = coords(p, x),
    fc = coords(f, y);
  return pc.every((c, k) => Math.abs(c - ((fc[k] + 0.5) * x[k]) / y[k]) <= 2.5);
}

describe('Resize rule: hand checks', () => {
  // x = [1, 5, 1, 0] along W, doubled with half_pixel linear: output column 4 reads x at 4.5/2 − 0.5 = 1.75, i.e.
  // 0.25·x[1] + 0.75·x[2] = 0.25·5 + 0.75·1: the tap with the larger weight × activation is column 1 (1.25 > 0.75),
  // although nearest would pick column 2; column 0 reads −0.25, both taps clamp to column 0.
  const spec = resize(13, ['', 's'], { mode: 'linear' }, [f32('s', [4], [1, 1, 1, 2])], [1, 1, 1, 4]);
  const values = { x: { dims: [1, 1, 1, 4], data: Float32Array.of(1, 5, 1, 0) } };
  it('linear: the tap with the largest weight × activation, with its whole mass', () => {
    const r = walkModel(spec, values, 'y', 4, 'x', { masses: true });
    assert.deepEqual([...r.input.fixations], [1]);
    assert.deepEqual([...r.input.mass!], [1]);
    assert.deepEqual([...walkModel(spec, values, 'y', 0, 'x').input.fixations], [0]);
  });
  it('linear ties go to the lower input index', () => {
    // column 3 reads 1.25: 0.75·x[1] against 0.25·x[2]; with x[1] = 1, x[2] = 3 both are 0.75
    const tie = { x: { dims: [1, 1, 1, 4], data: Float32Array.of(0, 1, 3, 0) } };
    assert.deepEqual([...walkModel(spec, tie, 'y', 3, 'x').input.fixations], [1]);
  });
  it('tf_crop_and_resize: an output outside the crop holds the extrapolation value and has no parent (flagged)', () => {
    const crop = resize(13, ['r', '', 'z'], { mode: 'nearest', coordinate_transformation_mode: 'tf_crop_and_resize' }, [
      f32('r', [8], [0, 0, 0, 0.5, 1, 1, 1, 1.5]),
      i64('z', [4], [1, 1, 1, 4]),
    ]);
    // along W the crop runs from 0.5·3 = 1.5 to 1.5·3 = 4.5: outputs 0 and 1 read 1.5 and 2.5 → 1 and 2 (halves round down), 2 and 3 read 3.5 and 4.5 > 3
    const r = walkModel(crop, values, 'y', 3, 'x', { masses: true });
    assert.equal(r.input.fixations.length, 0);
    assert.deepEqual([...walkModel(crop, values, 'y', 1, 'x').input.fixations], [2]);
  });
  it('antialias (opset 18) is refused with an error naming the node', () => {
    const aa = resize(18, ['', 's'], { mode: 'linear', antialias: 1 }, [f32('s', [4], [1, 1, 1, 0.5])], [1, 1, 1, 4]);
    assert.throws(
      () => walkModel(aa, values, 'y', 0, 'x'),
      (e: Error) => e instanceof UnsupportedError && /Resize/.test(e.message) && /antialias/.test(e.message),
    );
  });
  it('an Upsample in a model of opset 10 (where Upsample is deprecated) is refused naming the node, the opset and the range', () => {
    const spec = { ...resize(10, ['s'], { mode: 'nearest' }, [f32('s', [4], [1, 1, 1, 2])], [1, 1, 1, 4], 'Upsample') };
    spec.nodes[0].name = 'up';
    assert.throws(
      () => walkModel(spec, values, 'y', 0, 'x'),
      (e: Error) => e instanceof UnsupportedError && e.opType === 'Upsample' && e.nodeName === 'up' && /opset 10/.test(e.message) && /7–9/.test(e.message),
    );
  });
});
