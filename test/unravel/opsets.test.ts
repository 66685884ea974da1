// Old attribute forms end to end (ALGORITHM.md, opset forms): each op of an old opset, built into a small
// classifier (1×1 identity conv → the op → global max pool → fully connected identity head), opened and run in
// onnxruntime through the product's path (openModel, runForward), then walked. Hand check: class k's fixation is
// the largest input element of channel k among those the op keeps, and the walk through the old form gives the
// same fixations and masses as the same model written in the newest form. Where onnxruntime refuses an opset, the
// user gets our message (what is wrong, what to do), not a stack trace.
import { strict as assert } from 'node:assert';
import { ModelFileError } from '../../src/onnx/load';
import { defaultUnravelOptions } from '../../src/unravel/types';
import type { Attr, ModelSpec, NodeSpec, TensorSpec } from '../helpers/onnx-build';
import { distinct, runSpec } from '../helpers/single-op';

const C = 2;
const H = 6;
const W = 6;
const i64 = (name: string, values: number[]): TensorSpec & { name: string } => ({ name, dims: [values.length], type: 7, values });
const f32 = (name: string, values: number[]): TensorSpec & { name: string } => ({ name, dims: [values.length], values });

/** x → identity 1×1 conv → `middle` (reads 'c', writes 'm') → GlobalMaxPool → Flatten → MatMul(identity) → y. */
function classifier(middle: NodeSpec[], opset: number, initializers: (TensorSpec & { name: string })[] = []): ModelSpec {
  const eye = Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0));
  return {
    opset,
    inputs: [{ name: 'x', dims: [1, C, H, W] }],
    outputs: [{ name: 'y' }],
    initializers: [{ name: 'w', dims: [C, C, 1, 1], values: eye }, { name: 'fc', dims: [C, C], values: eye }, ...initializers],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'] },
      ...middle,
      { op: 'GlobalMaxPool', name: 'gmp', inputs: ['m'], outputs: ['pooled'] },
      { op: 'Flatten', name: 'flat', inputs: ['pooled'], outputs: ['f'] },
      { op: 'MatMul', name: 'head', inputs: ['f', 'fc'], outputs: ['y'] },
    ],
  };
}

interface Form {
  readonly what: string;
  readonly old: readonly ModelSpec[];
  readonly newer: ModelSpec;
  /** The (row, column) positions of the input the op keeps (its output holds a copy of each). */
  readonly kept: (r: number, c: number) => boolean;
}

const all = () => true;
const forms: Form[] = [
  {
    what: "Reshape-1–4's shape attribute",
    old: [1, 4].map((o) => classifier([{ op: 'Reshape', inputs: ['c'], outputs: ['m'], attrs: { shape: [1, C, 3, 12] } }], o)),
    newer: classifier([{ op: 'Reshape', inputs: ['c', 's'], outputs: ['m'] }], 17, [i64('s', [1, C, 3, 12])]),
    kept: all,
  },
  {
    what: "Upsample-7–8's scales attribute (nearest ×2)",
    old: [7, 8].map((o) => classifier([{ op: 'Upsample', inputs: ['c'], outputs: ['m'], attrs: { scales: { floats: [1, 1, 2, 2] } } }], o)),
    newer: classifier(
      [
        {
          op: 'Resize',
          inputs: ['c', '', 'sc'],
          outputs: ['m'],
          attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
        },
      ],
      17,
      [f32('sc', [1, 1, 2, 2])],
    ),
    kept: all,
  },
  {
    what: "BatchNormalization-7–8's spatial attribute",
    old: [7, 8].map((o) => classifier([{ op: 'BatchNormalization', inputs: ['c', 'g', 'b', 'mu', 'v'], outputs: ['m'], attrs: { spatial: 1 } }], o, bn())),
    newer: classifier([{ op: 'BatchNormalization', inputs: ['c', 'g', 'b', 'mu', 'v'], outputs: ['m'] }], 17, bn()),
    kept: all,
  },
  {
    what: "Split-18's num_outputs (the upper half of the rows)",
    old: [classifier([{ op: 'Split', inputs: ['c'], outputs: ['m', 'bottom'], attrs: { axis: 2, num_outputs: 2 } }], 18)],
    newer: classifier([{ op: 'Split', inputs: ['c', 'sp'], outputs: ['m', 'bottom'], attrs: { axis: 2 } }], 17, [i64('sp', [3, 3])]),
    kept: (r) => r < 3,
  },
  {
    what: "Dropout's ratio attribute (opsets 7–11) and is_test (up to 6)",
    old: [
      classifier([{ op: 'Dropout', inputs: ['c'], outputs: ['m'], attrs: { ratio: { float: 0.3 }, is_test: 1 } }], 6),
      classifier([{ op: 'Dropout', inputs: ['c'], outputs: ['m'], attrs: { ratio: { float: 0.3 } } }], 7),
      classifier([{ op: 'Dropout', inputs: ['c'], outputs: ['m', 'mask'], attrs: { ratio: { float: 0.3 } } }], 11),
    ],
    newer: classifier([{ op: 'Dropout', inputs: ['c', 'ratio'], outputs: ['m'] }], 17, [{ name: 'ratio', dims: [], values: [0.3] }]),
    kept: all,
  },
  {
    // reflect: the largest element also appears in the padding, and the pool's first maximum may be that copy
    what: "Pad-2–10's pads and mode attributes (reflect)",
    old: [2, 10].map((o) => classifier([{ op: 'Pad', inputs: ['c'], outputs: ['m'], attrs: { pads: [0, 0, 2, 1, 0, 0, 1, 2], mode: 'reflect' } }], o)),
    newer: classifier([{ op: 'Pad', inputs: ['c', 'p'], outputs: ['m'], attrs: { mode: 'reflect' } }], 17, [i64('p', [0, 0, 2, 1, 0, 0, 1, 2])]),
    kept: all,
  },
  {
    what: "Slice-1–9's starts, ends and axes attributes",
    old: [1, 9].map((o) => classifier([{ op: 'Slice', inputs: ['c'], outputs: ['m'], attrs: { starts: [1, 2], ends: [5, 100], axes: [2, 3] } }], o)),
    newer: classifier([{ op: 'Slice', inputs: ['c', 'st', 'en', 'ax'], outputs: ['m'] }], 17, [i64('st', [1, 2]), i64('en', [5, 100]), i64('ax', [2, 3])]),
    kept: (r, c) => r >= 1 && r < 5 && c >= 2,
  },
  {
    what: "Squeeze-11 and Unsqueeze-11's axes attributes (negative ones)",
    old: [
      classifier(
        [
          { op: 'Unsqueeze', inputs: ['c'], outputs: ['u'], attrs: { axes: [-3] } },
          { op: 'Squeeze', inputs: ['u'], outputs: ['m'], attrs: { axes: [-3] } },
        ],
        11,
      ),
    ],
    newer: classifier(
      [
        { op: 'Unsqueeze', inputs: ['c', 'ax'], outputs: ['u'] },
        { op: 'Squeeze', inputs: ['u', 'ax'], outputs: ['m'] },
      ],
      17,
      [i64('ax', [-3])],
    ),
    kept: all,
  },
];

/** BatchNormalization's scale, bias, mean and variance: a positive scale per channel keeps each channel's order. */
function bn(): (TensorSpec & { name: string })[] {
  return [f32('g', [2, 0.5]), f32('b', [1, -1]), f32('mu', [3, -2]), f32('v', [4, 0.25])];
}

const x = distinct(C * H * W, 11);

/** Input element of channel k holding the largest value among the kept positions. */
function largestKept(k: number, kept: Form['kept']): number {
  let best = -1;
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++) {
      const f = (k * H + r) * W + c;
      if (kept(r, c) && (best < 0 || x[f] > x[best])) best = f;
    }
  return best;
}

async function walks(spec: ModelSpec) {
  const { open, forward } = await runSpec(spec, x);
  try {
    return Array.from({ length: C }, (_, k) => {
      const u = open.unraveler.unravel(forward, 'y', k, 'x', { ...defaultUnravelOptions, masses: true });
      return { fixations: [...u.input.fixations], mass: [...u.input.mass!].map((m) => +m.toFixed(12)), score: forward.outputs.get('y')!.data[k] };
    });
  } finally {
    await open.session.release();
  }
}

describe('old attribute forms, run in onnxruntime and walked', () => {
  for (const form of forms) {
    it(`${form.what}: class k goes to the largest kept element of channel k, as in the newest form`, async () => {
      const newer = await walks(form.newer);
      newer.forEach((w, k) => assert.deepEqual(w.fixations, [largestKept(k, form.kept)], `class ${k}, opset ${form.newer.opset}`));
      if (form.kept !== all)
        assert.ok(
          newer.some((_, k) => largestKept(k, form.kept) !== largestKept(k, all)),
          'the input has a larger element outside what the op keeps, so the check tells a wrong crop',
        );
      for (const spec of form.old) {
        const old = await walks(spec);
        assert.deepEqual(old, newer, `opset ${spec.opset}: the same scores, fixations and masses as opset ${form.newer.opset}`);
      }
    });
  }

  // onnxruntime 1.30 has no kernel for BatchNormalization-6 (is_test) nor -1 (consumed_inputs): the model does not
  // load, and the user reads why and what to do.
  const refused: [number, Record<string, Attr>][] = [
    [6, { is_test: 1, spatial: 1 }],
    [1, { is_test: 1, spatial: 1, consumed_inputs: [0, 0, 0, 1, 1] }],
  ];
  for (const [opset, attrs] of refused) {
    it(`BatchNormalization-${opset}: onnxruntime refuses it, and the message says the opset and to re-export`, async () => {
      const spec = classifier([{ op: 'BatchNormalization', name: 'bn', inputs: ['c', 'g', 'b', 'mu', 'v'], outputs: ['m'], attrs }], opset, bn());
      const e = await runSpec(spec, x).then(
        () => assert.fail('onnxruntime loaded it: run it as the other old forms'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof ModelFileError, `our ModelFileError, not ${String(e)}`);
      assert.match(e.message, /^onnxruntime cannot load \S+\.onnx: Could not find an implementation for BatchNormalization\(\d\) node with name 'bn'\. /);
      assert.match(
        e.message,
        new RegExp(`The model's ONNX opset is ${opset}; onnxruntime [\\d.]+ runs models of opset 7 or later: re-export it at a newer opset`),
      );
      assert.doesNotMatch(e.message, /\n|\.cc:\d|onnxruntime::/, 'one line, without C++ locations');
    });
  }
});
