// What the panel holds: the host's data (replaced by messages) and the view state (the user's choices,
// saved with setState so a reloaded panel looks the same).
import { defaultOverlay, type OverlayOptions } from '../../src/shared/overlay';
import type { LayerDetail, ModelSummary, PanelExplanation, PanelImage, PanelState } from '../../src/shared/protocol';

export type TabId = 'layers' | 'model' | 'settings';

export interface ViewState {
  readonly overlay: OverlayOptions;
  /** The drill-down layer, by tensor name so it survives a class switch (indices differ per walk). */
  readonly layerTensor?: string;
  readonly layerIndex?: number;
  readonly channel?: number;
  readonly compareIndex?: number;
  /** B of the "Why A, not B?" view, when it is shown. */
  readonly versusIndex?: number;
  readonly tab: TabId;
  readonly layerFilter: string;
}

export const defaultView: ViewState = {
  overlay: defaultOverlay,
  tab: 'layers',
  layerFilter: '',
};

/** A saved state from an older version or a hand-edited one must not break the panel. */
export function restoreView(saved: unknown): ViewState {
  if (!saved || typeof saved !== 'object') return defaultView;
  const s = saved as Partial<ViewState>;
  const o = (s.overlay ?? {}) as Partial<OverlayOptions>;
  const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
  const int = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : undefined);
  return {
    overlay: {
      heat: bool(o.heat, defaultOverlay.heat),
      points: bool(o.points, defaultOverlay.points),
      box: bool(o.box, defaultOverlay.box),
      opacity: typeof o.opacity === 'number' && o.opacity >= 0 && o.opacity <= 1 ? o.opacity : defaultOverlay.opacity,
    },
    layerTensor: typeof s.layerTensor === 'string' ? s.layerTensor : undefined,
    layerIndex: int(s.layerIndex),
    channel: int(s.channel),
    compareIndex: int(s.compareIndex),
    versusIndex: int(s.versusIndex),
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
  /** The explained class against the compared one ("Why A, not B?"). */
  contrast: PanelExplanation | undefined;
  hostState: PanelState;
  layer: LayerDetail | undefined;
}

export function labelOf(data: Pick<HostData, 'labels'>, index: number): string {
  return data.labels?.[index] ?? `class ${index}`;
}
