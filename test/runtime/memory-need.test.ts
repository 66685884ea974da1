// The memory limit's estimate (src/limits.ts) on real models: besides the kept tensors it counts the channel-last
// copies the conv rule may make of the tensors a conv reads (rules/conv-kernel.ts), float32 for float data and at
// most float64 for quantized data, and refuses an explanation that fits without them but not with them.
import { strict as assert } from 'node:assert';
import { fixturePath } from '../../src/fixtures';
import { checkMemory, explanationNeed, keptTensors, LimitError } from '../../src/limits';
import { loadModelFile } from '../../src/onnx/load';
import { defaultOps } from '../../src/unravel/ops';
import { convInputs, planExposure } from '../../src/unravel/plan';
import { inferShapes } from '../../src/unravel/shapes';
import { Unraveler } from '../../src/unravel/walk';

function need(name: string) {
  const model = loadModelFile(fixturePath(`models/${name}.onnx`));
  const { graph } = model;
  const { constants, ops } = new Unraveler(graph, defaultOps);
  const plan = planExposure(graph, defaultOps);
  const input = graph.inputs[0].name;
  const dims = [1, 3, 224, 224];
  const kept = keptTensors(graph, ops, constants, input, dims, plan.expose);
  const convReads = new Set(graph.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'QLinearConv').map((n) => n.input(0)));
  const copyBytesPerElement = convInputs(graph, ops, constants, [input]).get(input) ?? 0;
  return { kept, convReads, dims, copyBytesPerElement, shapes: inferShapes(graph, ops, constants, new Map([[input, dims]])) };
}

describe('the memory an explanation needs', function () {
  this.timeout(60_000);

  it('counts a float32 channel-last copy of each float tensor a Conv reads, and of the input when a Conv reads it', () => {
    const { kept, convReads, dims, copyBytesPerElement } = need('mobilenetv2-12-dequantized-fp32');
    const copied = kept.filter((t) => t.copyBytes > 0);
    assert.ok(copied.length >= 17, `${copied.length} copies`);
    for (const t of copied) assert.equal(t.copyBytes, t.bytes, t.name);
    // every copied tensor is one a Conv reads; the GlobalAveragePool's and the Adds' other inputs are not copied
    for (const t of copied) assert.ok(convReads.has(t.name), `${t.name} is not a Conv's input`);
    assert.ok(kept.some((t) => t.copyBytes === 0));
    assert.equal(copyBytesPerElement, 4);
    const parts = explanationNeed({ width: 298, height: 224 }, { dims, bytesPerElement: 4, copyBytesPerElement }, kept, 1).parts;
    const copies = parts.find((p) => /channel-last copies of \d+ of them and of the input/.test(p.what));
    assert.equal(copies?.bytes, copied.reduce((a, t) => a + t.copyBytes, 0) + 3 * 224 * 224 * 4);
  });

  it('counts quantized tensors a conv reads at 8 bytes a value (float64 copies)', () => {
    const { kept, shapes } = need('mobilenetv2-12-int8');
    const copied = kept.filter((t) => t.copyBytes > 0);
    assert.ok(copied.length >= 17, `${copied.length} copies`);
    for (const t of copied) assert.equal(t.copyBytes, 8 * shapes.get(t.name)!.reduce((a, d) => a * d, 1), t.name);
  });

  it('refuses an explanation that fits without the copies but not with them, naming them', () => {
    const { kept, dims, copyBytesPerElement } = need('mobilenetv2-12-dequantized-fp32');
    const n = explanationNeed({ width: 298, height: 224 }, { dims, bytesPerElement: 4, copyBytesPerElement }, kept, 1);
    const withoutCopies = n.parts.filter((p) => !p.what.includes('channel-last')).reduce((a, p) => a + p.bytes, 0);
    assert.throws(
      () => checkMemory(n, withoutCopies + 1),
      (e) => e instanceof LimitError && /the conv rule's channel-last copies of \d+ of them and of the input \d+ MB/.test(e.message),
    );
    checkMemory(
      n,
      n.parts.reduce((a, p) => a + p.bytes, 0),
    );
  });
});
