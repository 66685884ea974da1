// What the views may ask for. The app turns each into a message to the host or a view-state change.
import type { ExportKind, RunSettings } from '../../src/shared/protocol';
import type { OverlayToggles, TabId } from './state';

export interface Actions {
  explainClass(classIndex: number): void;
  compare(classIndex: number | undefined): void;
  selectLayer(layerIndex: number, channel?: number): void;
  exportAs(kind: ExportKind): void;
  rerun(settings: RunSettings): void;
  setOverlay(change: Partial<OverlayToggles>): void;
  setTab(tab: TabId): void;
  setLayerFilter(filter: string): void;
  dismissError(): void;
}
