// The op table (src/unravel/ops.ts): one descriptor per (domain, op type), found by the node's domain, and a
// table a test wraps is a new table: the core's own stays as it was.
import { strict as assert } from 'node:assert';
import { defaultOps, wrapRules } from '../../src/unravel/ops';

describe('op table', () => {
  it('holds each (domain, op type) once', () => {
    const keys = defaultOps.all.map((d) => `${d.domain}:${d.opType}`);
    assert.deepEqual(
      keys.filter((k, i) => keys.indexOf(k) !== i),
      [],
    );
  });

  it("finds ops by domain: '' and 'ai.onnx' are one, com.microsoft's quantized ops only under theirs", () => {
    assert.equal(defaultOps.get({ domain: 'ai.onnx', opType: 'Conv' }), defaultOps.get({ domain: '', opType: 'Conv' }));
    assert.ok(defaultOps.get({ domain: 'com.microsoft', opType: 'QLinearAdd' })?.rule);
    assert.equal(defaultOps.get({ domain: '', opType: 'QLinearAdd' }), undefined, 'QLinearAdd is not a default-domain op');
    assert.equal(defaultOps.get({ domain: 'com.example', opType: 'Relu' }), undefined, 'a custom domain’s Relu is not ONNX’s');
  });

  it('gives every quantized op the rule of a float op the table knows, and kernels only in the default domain', () => {
    for (const d of defaultOps.all) {
      if (d.quantized) assert.ok(defaultOps.get({ domain: '', opType: d.quantized.op })?.rule, `${d.opType} computes ${d.quantized.op}`);
      if (d.kernel) assert.equal(d.domain, '', `${d.opType}'s kernel`);
      assert.ok(d.rule || d.kernel, `${d.opType} has a rule or a kernel`);
    }
  });

  it("knows where every quantizing op's output scale and zero point sit (onnxruntime's contrib schemas), so the drill-down dequantizes them", () => {
    // input positions of y_scale and y_zero_point, from onnxruntime's ContribOperators.md and ONNX's Operators.md
    const outputScale: Record<string, [number, number]> = {
      QLinearConv: [6, 7],
      QLinearMatMul: [6, 7],
      QuantizeLinear: [1, 2],
      QGemm: [7, 8],
      QLinearAdd: [6, 7],
      QLinearMul: [6, 7],
      QLinearGlobalAveragePool: [3, 4],
      QLinearAveragePool: [3, 4],
      QLinearReduceMean: [3, 4],
      QLinearSigmoid: [3, 4],
      QLinearLeakyRelu: [3, 4],
      QLinearSoftmax: [3, 4],
      QLinearConcat: [0, 1],
    };
    for (const d of defaultOps.all) {
      if (!d.quantized && d.opType !== 'QuantizeLinear') continue;
      const integerOutput = !['ConvInteger', 'MatMulInteger'].includes(d.opType); // int32 accumulators: scale 1 is right
      assert.deepEqual(d.outputQuant, integerOutput ? outputScale[d.opType] : undefined, d.opType);
    }
  });

  it('wraps rules into a new table and leaves the core’s as it was', () => {
    const before = defaultOps.get({ domain: '', opType: 'Conv' })!.rule;
    const wrapped = wrapRules(defaultOps, (rule) => ({ ...rule, back: () => [] }));
    assert.notEqual(wrapped.get({ domain: '', opType: 'Conv' })!.rule, before);
    assert.equal(defaultOps.get({ domain: '', opType: 'Conv' })!.rule, before);
    assert.ok(Object.isFrozen(defaultOps.all) && defaultOps.all.every(Object.isFrozen), 'the descriptors are frozen');
  });
});
