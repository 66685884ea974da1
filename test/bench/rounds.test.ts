// The bench's rounds (src/bench/rounds.ts): a model measured in several rounds is reported by the round whose
// explain ÷ plain is the median, whole (its parts add up as measured), with every round's ratios in round order.
import { strict as assert } from 'node:assert';
import { firstTable } from '../../src/bench/first';
import type { ModelResult } from '../../src/bench/main';
import { medianRound, roundsTable } from '../../src/bench/rounds';

/** A round's figures: what the ratios read, the rest as a child process writes them. */
function round(plain: number, explain: number, unravel: number, cpuPlain: number, cpuExplain: number): ModelResult {
  return {
    name: 'resnet50-op17',
    fileMb: 97.7,
    plainForwardMs: plain,
    forwardWithIntermediatesMs: plain * 1.3,
    forwardKeptUncopiedMs: plain * 1.1,
    unravelMs: unravel,
    heatmapMs: 1.5,
    explainMs: explain,
    classSwitchMs: 14,
    sessionCreateMs: 200,
    coldOpenMs: 170,
    preprocessMs: 4,
    preprocessColdMs: 40,
    gradcamRatio: null,
    gradcam: null,
    peakRssMb: 0,
    first: null,
    exposedTensors: 51,
    spread: {},
    cpu: {
      plainForwardMs: cpuPlain,
      forwardWithIntermediatesMs: cpuPlain * 1.3,
      forwardKeptUncopiedMs: cpuPlain * 1.1,
      preprocessMs: 4,
      unravelAndMapMs: unravel,
      explainMs: cpuExplain,
      classSwitchMs: 14,
    },
  };
}

describe('bench: rounds', () => {
  // explain ÷ plain per round: 2.0, 1.5, 2.5, 1.8, 3.0 → the median round is the first (2.0)
  const rounds = [round(40, 80, 20, 70, 120), round(50, 75, 22, 80, 130), round(36, 90, 18, 72, 140), round(45, 81, 21, 75, 125), round(30, 90, 24, 60, 150)];

  it('reports the round whose explain ÷ plain is the median, every figure of that round', () => {
    const r = medianRound(rounds);
    assert.equal(r.explainMs, 80);
    assert.equal(r.plainForwardMs, 40);
    assert.equal(r.unravelMs, 20);
    assert.equal(r.cpu.explainMs, 120, 'the CPU times of the same round, not a median of their own (125)');
  });

  it('keeps every round’s ratios in round order', () => {
    const r = medianRound(rounds);
    assert.deepEqual(r.rounds?.explainToPlain, [2, 1.5, 2.5, 1.8, 3]);
    assert.deepEqual(r.rounds?.unravelToPlain, [0.5, 0.44, 0.5, 21 / 45, 0.8]);
    assert.deepEqual(
      r.rounds?.explainToPlainCpu,
      rounds.map((x) => x.cpu.explainMs / x.cpu.plainForwardMs),
    );
  });

  it('an even count reports the lower middle round', () => {
    assert.equal(medianRound(rounds.slice(0, 4)).explainMs, 81, 'ratios 1.5, 1.8, 2.0, 2.5: the 1.8 round');
  });

  it('the rounds table lists each round and its median in bold', () => {
    const table = roundsTable([medianRound(rounds), round(10, 20, 5, 20, 30)]);
    const lines = table.split('\n');
    assert.equal(lines.length, 3, 'a model measured once has no row');
    assert.match(lines[2], /^\| resnet50-op17 \| 2\.00 1\.50 2\.50 1\.80 3\.00 \(\*\*2\.00×\*\*\) \|/);
  });
});

describe('bench: the first explanation in a fresh process', () => {
  it('puts each part of the first explanation beside the warm one, and says so where it was not measured', () => {
    const measured: ModelResult = {
      ...round(40, 80, 20, 70, 120),
      first: { openMs: 512.3, preprocessMs: 41.27, forwardMs: 91.8, unravelMs: 185.4, heatmapMs: 18.5, totalMs: 851 },
    };
    const lines = firstTable([measured, { ...round(40, 80, 20, 70, 120), name: 'vgg16-op17' }]).split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[2], '| resnet50-op17 | 512 | 41.3 (4.0) | 91.8 (52.0) | 185 (20.0) | 18.5 (1.5) | 851 | 80.0 |');
    assert.equal(lines[3], '| vgg16-op17 | – | – | – | – | – | – | 80.0 |');
  });
});
