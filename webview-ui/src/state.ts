// What the panel holds: the host's data (replaced by messages) and the view state (the user's choices,
// saved with setState so a reloaded panel looks the same).
import type { ErrorMessage, LayerDetail, ModelSummary, PanelExplanation, PanelImage, PanelState } from '../../src/shared/protocol';

export interface OverlayToggles {
  readonly heat: boolean;
  readonly points: boolean;
  readonly box: boolean;
  /** 0…1 */
  readonly opacity: number;
}

export type TabId = 'layers' | 'model' | 'settings';

export interface ViewState {
  readonly overlay: OverlayToggles;
  /** The drill-down layer, by tensor name so it survives a class switch (indices differ per walk). */
  readonly layerTensor?: string;
  readonly layerIndex?: number;
  readonly channel?: number;
  readonly compareIndex?: number;
  readonly tab: TabId;
  readonly layerFilter: string;
}

export const defaultView: ViewState = {
  overlay: { heat: true, points: true, box: true, opacity: 0.6 },
  tab: 'layers',
  layerFilter: '',
};

/** A saved state from an older version or a hand-edited one must not break the panel. */
export function restoreView(saved: unknown): ViewState {
  if (!saved || typeof saved !== 'object') return defaultView;
  const s = saved as Partial<ViewState>;
  const o = (s.overlay ?? {}) as Partial<OverlayToggles>;
  const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
  const int = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : undefined);
  return {
    overlay: {
      heat: bool(o.heat, true),
      points: bool(o.points, true),
      box: bool(o.box, true),
      opacity: typeof o.opacity === 'number' && o.opacity >= 0 && o.opacity <= 1 ? o.opacity : defaultView.overlay.opacity,
    },
    layerTensor: typeof s.layerTensor === 'string' ? s.layerTensor : undefined,
    layerIndex: int(s.layerIndex),
    channel: int(s.channel),
    compareIndex: int(s.compareIndex),
    tab: s.tab === 'model' || s.tab === 'settings' ? s.tab : 'layers',
    layerFilter: typeof s.layerFilter === 'string' ? s.layerFilter : '',
  };
}

export interface HostData {
  readonly model: ModelSummary;
  readonly image: PanelImage;
  readonly classCount: number;
  readonly labels: readonly string[] | undefined;
  main: PanelExplanation;
  compare: PanelExplanation | undefined;
  hostState: PanelState;
  layer: LayerDetail | undefined;
}

export function labelOf(data: Pick<HostData, 'labels'>, index: number): string {
  return data.labels?.[index] ?? `class ${index}`;
}

export type { ErrorMessage };
