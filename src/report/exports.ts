// The exports of an explanation, rendered in one place for the panel's Export buttons (in the engine) and
// for the CLI's --png/--json/--html: the overlay PNG, the JSON contract, the self-contained HTML report.
import type { ExplainedPicture, Explanation } from '../explain';
import { encodePng, renderOverlayPng } from '../heatmap/render';
import type { ExportKind } from '../shared/protocol';
import { weighedPoints, type OverlayOptions, type Picture } from '../shared/overlay';
import { renderHtmlReport } from './html';

/** A Buffer as a plain Uint8Array view (what crosses to the host and the webview). */
export const bytes = (b: Buffer | Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * A renderer of the exports of `x` over its image: PNG bytes, or the JSON and HTML text. The overlay PNG
 * is drawn once, with `overlay`'s toggles and opacity, however many exports use it.
 */
export function exportRenderer(x: Explanation, picture: ExplainedPicture, overlay: OverlayOptions): (kind: ExportKind) => Promise<Uint8Array | string> {
  let pixels: Promise<Picture & { readonly rgba: Uint8Array }> | undefined;
  const image = () => (pixels ??= picture.pixels().then((rgba) => ({ width: picture.width, height: picture.height, rgba })));
  let png: Promise<Buffer> | undefined;
  const overlayPng = () => (png ??= image().then((p) => renderOverlayPng(p, x.heat, weighedPoints(x.keptPoints, x.keptWeights), x.box, overlay)));
  return async (kind) => {
    if (kind === 'json') return JSON.stringify(x.json, null, 1) + '\n';
    if (kind === 'png') return bytes(await overlayPng());
    const p = await image();
    return renderHtmlReport(x.json, await overlayPng(), await encodePng(p.width, p.height, p.rgba));
  };
}
