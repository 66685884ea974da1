// What the views may ask for. The app turns each into a message to the host or a view-state change.
import type { ExportKind } from '../../src/shared/protocol';
import type { FormSettings } from '../../src/shared/settings';
import type { OverlayOptions } from '../../src/shared/overlay';
import type { TabId } from './state';

export interface Actions {
  explainClass(classIndex: number): void;
  compare(classIndex: number | undefined): void;
  /** "Why A (the explained class), not B?": A against B between the two classes' own maps; undefined leaves that view. */
  whyNot(classIndex: number | undefined): void;
  selectLayer(layerIndex: number, channel?: number): void;
  exportAs(kind: ExportKind): void;
  /** Runs the model again; with settings from the panel's form, or as it was (undefined). */
  rerun(settings: FormSettings | undefined): void;
  setOverlay(change: Partial<OverlayOptions>): void;
  setTab(tab: TabId): void;
  setLayerFilter(filter: string): void;
  dismissError(): void;
}
