// How large the panel draws an image (the overlay's pixels come from src/shared/overlay.ts).

/**
 * Display resolution for an image: large photos are drawn at most 1600 px on the long side; tiny ones
 * (MNIST's 28×28) at a whole multiple so the short side reaches 256 px and pixels stay square.
 */
export function displayScale(width: number, height: number): number {
  const long = Math.max(width, height),
    short = Math.min(width, height);
  if (long > 1600) return 1600 / long;
  if (short < 256) return Math.max(1, Math.min(Math.ceil(256 / short), Math.floor(1600 / long)));
  return 1;
}
