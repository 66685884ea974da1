// How the bench's tables print their numbers.

/** A time in ms: whole from 100 ms, else one decimal. */
export const f1 = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
/** a ÷ b as a ratio. */
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
