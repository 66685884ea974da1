// Which sides a class request changes (src/panels/sides.ts), on small cases checkable by hand: A is class 1,
// B class 2. The controller's tests run the same decisions on a real model.
import { strict as assert } from 'node:assert';
import { noChoices, planCompare, planMain, planWhyNot, restoredChoices, sidesState, type Choices } from '../../src/panels/sides';

const alone: Choices = { ...noChoices, main: { classIndex: 1 } };
const comparing: Choices = { ...alone, compare: { classIndex: 2 } };
const whyNot: Choices = { main: { classIndex: 1 }, compare: { classIndex: 2 }, contrast: { classIndex: 1, versus: 2 } };

describe('panel sides', () => {
  it('"why not B": A against B first (what may fail), then B\'s own map; leaving clears both', () => {
    assert.deepEqual(planWhyNot(alone, 2), [
      ['contrast', { classIndex: 1, versus: 2 }],
      ['compare', { classIndex: 2 }],
    ]);
    assert.deepEqual(
      planWhyNot(whyNot, 5),
      [
        ['contrast', { classIndex: 1, versus: 5 }],
        ['compare', { classIndex: 5 }],
      ],
      'another B',
    );
    assert.deepEqual(planWhyNot(whyNot, undefined), [
      ['contrast', undefined],
      ['compare', undefined],
    ]);
  });

  it('another explained class: the contrast follows it against the same B; it ends when A becomes B', () => {
    assert.deepEqual(planMain(alone, { classIndex: 3 }), [['main', { classIndex: 3 }]]);
    assert.deepEqual(planMain(whyNot, { classIndex: 3 }), [
      ['contrast', { classIndex: 3, versus: 2 }],
      ['main', { classIndex: 3 }],
    ]);
    assert.deepEqual(planMain(whyNot, { classIndex: 2 }), [
      ['main', { classIndex: 2 }],
      ['contrast', undefined],
      ['compare', undefined],
    ]);
    assert.deepEqual(
      planMain(comparing, { classIndex: 2 }),
      [
        ['main', { classIndex: 2 }],
        ['compare', undefined],
      ],
      'nothing left to compare',
    );
  });

  it('another compared class, or none, ends "why not"; comparing B again keeps it', () => {
    assert.deepEqual(planCompare(comparing, { classIndex: 4 }), [['compare', { classIndex: 4 }]]);
    assert.deepEqual(planCompare(whyNot, { classIndex: 4 }), [
      ['contrast', undefined],
      ['compare', { classIndex: 4 }],
    ]);
    assert.deepEqual(planCompare(whyNot, undefined), [
      ['contrast', undefined],
      ['compare', undefined],
    ]);
    assert.deepEqual(planCompare(whyNot, { classIndex: 2 }), [['compare', { classIndex: 2 }]]);
  });

  it('the state says the sides, and a restored state gives them back: B is the compared class', () => {
    assert.deepEqual(sidesState(whyNot), { classIndex: 1, compareIndex: 2, versusIndex: 2 });
    assert.deepEqual(sidesState(noChoices), { classIndex: -1 });
    assert.deepEqual(restoredChoices({ classIndex: 1, compareIndex: 2, versusIndex: 2 }), whyNot);
    assert.deepEqual(restoredChoices({ classIndex: 1, compareIndex: 7, versusIndex: 2 }), whyNot, "B's own map is the compared one");
    assert.deepEqual(restoredChoices({ classIndex: 1, versusIndex: 1 }), alone, 'not A against itself');
    assert.deepEqual(restoredChoices({ classIndex: -1, versusIndex: 2 }), noChoices, 'not without A');
  });
});
