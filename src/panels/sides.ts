// Which of the panel's sides a class request changes, and to which class: the explained class A (main), the
// compared class (compare), and "Why A, not B?" (contrast: A explained against B, shown with B compared). Pure
// decisions over what the panel shows; the controller has the engine explain each planned side, in order.
import type { ClassRequest, PanelState, Side } from '../shared/protocol';

/** A class the panel shows or asks for, without the options every request takes from the panel (the mode). */
export type Choice = Pick<ClassRequest, 'classIndex' | 'versus'>;
export type Choices = Record<Side, Choice | undefined>;
/** Each side a request changes, in order, with its new class (undefined: no longer shown). */
export type Plan = readonly (readonly [Side, Choice | undefined])[];

/** Nothing shown, nothing asked for (the next run explains the top-1). */
export const noChoices: Readonly<Choices> = { main: undefined, compare: undefined, contrast: undefined };

/**
 * A new explained class A. In the "Why A, not B?" view the contrast follows (A against the same B; asked first,
 * so that a failure changes nothing), and ends when A is B; a compared class that became A is no longer compared.
 */
export function planMain(shown: Choices, choice: Choice): Plan {
  const a = choice.classIndex;
  const b = shown.contrast?.versus;
  if (b !== undefined && b !== a)
    return [
      ['contrast', { classIndex: a, versus: b }],
      ['main', choice],
    ];
  return [
    ['main', choice],
    ...(shown.contrast ? [['contrast', undefined] as const] : []),
    ...(shown.compare?.classIndex === a ? [['compare', undefined] as const] : []),
  ];
}

/** Another compared class, or none: the "Why A, not B?" view ends unless the compared class stays B. */
export function planCompare(shown: Choices, choice: Choice | undefined): Plan {
  const b = shown.contrast?.versus;
  return b !== undefined && choice?.classIndex !== b
    ? [
        ['contrast', undefined],
        ['compare', choice],
      ]
    : [['compare', choice]];
}

/** "Why A, not B?": A against B (first: what may fail) and B's own map; undefined leaves the view, A alone again. */
export function planWhyNot(shown: Choices, b: number | undefined): Plan {
  const a = shown.main?.classIndex;
  if (b === undefined || a === undefined)
    return [
      ['contrast', undefined],
      ['compare', undefined],
    ];
  return [
    ['contrast', { classIndex: a, versus: b }],
    ['compare', { classIndex: b }],
  ];
}

/** What a panel showed before a reload, as choices: the contrast view needs its class A and another B, whose own map is the compared one. */
export function restoredChoices(state: Pick<PanelState, 'classIndex' | 'compareIndex' | 'versusIndex'>): Choices {
  const main = state.classIndex >= 0 ? { classIndex: state.classIndex } : undefined;
  const versus = main && state.versusIndex !== undefined && state.versusIndex !== main.classIndex ? state.versusIndex : undefined;
  const compared = versus ?? state.compareIndex;
  return {
    main,
    compare: compared !== undefined ? { classIndex: compared } : undefined,
    contrast: main && versus !== undefined ? { classIndex: main.classIndex, versus } : undefined,
  };
}

/** What the panel's state says of its sides: the explained class (-1 before there is one), the compared one, and B of "why not". */
export function sidesState(shown: Choices): Pick<PanelState, 'classIndex' | 'compareIndex' | 'versusIndex'> {
  const { main, compare, contrast } = shown;
  return {
    classIndex: main?.classIndex ?? -1,
    ...(compare ? { compareIndex: compare.classIndex } : {}),
    ...(contrast?.versus !== undefined ? { versusIndex: contrast.versus } : {}),
  };
}
