// summary.json from lines checkable by hand, independent of the lines' order; shards that split the images
// into disjoint, complete, stable parts.
import { strict as assert } from 'node:assert';
import type { SweepLine, SweepMeta } from '../../src/sweep/record';
import { rankOf } from '../../src/sweep/record';
import { inShard, parseShard, shardOf } from '../../src/sweep/shard';
import { summarize } from '../../src/sweep/summary';

const labels = ['cat', 'dog', 'fox'];
const meta: SweepMeta = {
  version: 1,
  model: { path: '/m.onnx', sha256: 'ab' },
  dataset: { root: '/d', manifest: null },
  labels,
  classCount: 3,
  options: {},
  shards: null,
};

/** A line: expected class, the probabilities of the three classes. */
function line(p: string, expected: number | null, probs: [number, number, number]): SweepLine {
  const order = [0, 1, 2].sort((a, b) => probs[b] - probs[a] || a - b);
  return {
    path: p,
    sha256: 'x',
    expected: expected === null ? null : { index: expected, label: labels[expected] },
    predictions: order.map((i) => ({ index: i, label: labels[i], score: probs[i] })),
    ...(expected === null ? {} : { expectedScore: probs[expected], expectedRank: rankOf(probs, expected) }),
    correct: expected === null ? null : order[0] === expected,
  };
}

const lines: SweepLine[] = [
  line('cat/1.png', 0, [0.7, 0.2, 0.1]),
  line('cat/2.png', 0, [0.3, 0.6, 0.1]), // cat taken for dog, 60%
  line('cat/3.png', 0, [0.1, 0.1, 0.8]), // cat taken for fox, 80%: the most confident mistake
  line('dog/1.png', 1, [0.2, 0.5, 0.3]),
  line('dog/2.png', 1, [0.55, 0.05, 0.4]), // dog taken for cat, 55%, rank 3
  line('loose.png', null, [0.1, 0.8, 0.1]),
  { path: 'cat/broken.png', sha256: null, expected: { index: 0, label: 'cat' }, correct: null, error: 'cannot read image' },
];

describe('sweep: summary', () => {
  it('counts, accuracies, per class, the sparse confusion matrix, the confusions and the mistakes by confidence', () => {
    const s = summarize(lines, meta);
    assert.deepEqual(s.counts, { images: 7, labelled: 6, unlabelled: 1, errors: 1, correct: 2, wrong: 3 });
    assert.equal(s.accuracy.top1, 2 / 5);
    assert.equal(s.accuracy.top5, 1, 'three classes: every expected class is in the top 5');
    assert.deepEqual(
      s.perClass.map((c) => [c.class.label, c.images, c.correct, c.predicted]),
      [
        ['cat', 3, 1, 2],
        ['dog', 2, 1, 2],
      ],
    );
    assert.deepEqual(s.confusion, [
      { expected: 0, predicted: 0, count: 1 },
      { expected: 0, predicted: 1, count: 1 },
      { expected: 0, predicted: 2, count: 1 },
      { expected: 1, predicted: 0, count: 1 },
      { expected: 1, predicted: 1, count: 1 },
    ]);
    assert.deepEqual(
      s.confusions.map((c) => [c.expected.label, c.predicted.label, c.count, c.share]),
      [
        ['cat', 'dog', 1, 1 / 3],
        ['cat', 'fox', 1, 1 / 3],
        ['dog', 'cat', 1, 1 / 2],
      ],
    );
    assert.deepEqual(
      s.mistakes.map((m) => [m.path, m.predicted.label, m.confidence, m.expectedRank]),
      [
        ['cat/3.png', 'fox', 0.8, 2],
        ['cat/2.png', 'dog', 0.6, 2],
        ['dog/2.png', 'cat', 0.55, 3],
      ],
    );
    assert.deepEqual(s.errors, [{ path: 'cat/broken.png', error: 'cannot read image' }]);
  });

  it('is the same for the lines in any order', () => {
    const a = JSON.stringify(summarize(lines, meta));
    assert.equal(JSON.stringify(summarize([...lines].reverse(), meta)), a);
    assert.equal(JSON.stringify(summarize([lines[3], lines[0], lines[6], lines[5], lines[1], lines[4], lines[2]], meta)), a);
  });

  it('ranks a class as the predictions are ordered: ties to the lower index', () => {
    assert.equal(rankOf([0.2, 0.5, 0.3], 1), 1);
    assert.equal(rankOf([0.4, 0.2, 0.4], 2), 2);
    assert.equal(rankOf([0.4, 0.2, 0.4], 0), 1);
  });
});

describe('sweep: shards', () => {
  it('parses i/n and says what is wrong with anything else', () => {
    assert.deepEqual(parseShard('1/3'), { index: 1, count: 3 });
    assert.match(parseShard('3/3') as string, /numbered 0 to 2, got 3/);
    assert.match(parseShard('a/b') as string, /takes i\/n/);
    assert.match(parseShard('0/0') as string, /from 1 to 100000/);
  });

  it('splits any set of paths into disjoint shards that together hold every path, the same every time', () => {
    const paths = Array.from({ length: 600 }, (_, i) => `class${i % 7}/img-${i}.png`);
    const parts = [0, 1, 2].map((index) => paths.filter((p) => inShard(p, { index, count: 3 })));
    assert.equal(parts.flat().length, paths.length);
    assert.deepEqual(new Set(parts.flat()), new Set(paths));
    for (const part of parts) assert.ok(part.length > 150 && part.length < 250, `roughly a third each: ${parts.map((x) => x.length)}`);
    assert.equal(shardOf('class3/img-10.png', 3), shardOf('class3/img-10.png', 3));
    assert.ok(paths.every((p) => inShard(p, null)));
  });
});
