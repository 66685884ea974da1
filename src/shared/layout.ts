// How the panel lays out a layer's tensor: its channels and its spatial grid. One answer for the
// drill-down's payload (src/engine/payload.ts), the check of a channel the webview asks for
// (src/panels/messages.ts) and the layer the panel opens first (webview-ui/src/app.ts).

export interface TensorGrid {
  readonly channels: number;
  readonly h: number;
  readonly w: number;
}

/** [channels, H, W] of an NCHW (rank 4) or CHW (rank 3) tensor; anything else is a 1×1 grid whose channels are its elements (a vector's units). */
export function tensorGrid(shape: readonly number[]): TensorGrid {
  if (shape.length === 4) return { channels: shape[1], h: shape[2], w: shape[3] };
  if (shape.length === 3) return { channels: shape[0], h: shape[1], w: shape[2] };
  return { channels: shape.reduce((a, b) => a * b, 1), h: 1, w: 1 };
}
