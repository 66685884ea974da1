// Named preprocessing recipes. A pixel p in 0..255 becomes ((p/255)·(hi-lo) + lo - mean[c]) / std[c],
// after the image is resized and cropped (or padded) to the model's input size. Their names and what each
// means are declared with the other options (src/shared/settings.ts); here are the recipes.
import { meaningOf, type PresetName } from '../shared/settings';

export type ResizeMode = 'shorter' | 'exact' | 'pad';

export interface Preset {
  readonly name: PresetName;
  /** shorter: shorter side to size·ratio, then centre crop; exact: stretch; pad: fit the height, pad right with 0. */
  readonly resize: ResizeMode;
  readonly shorterRatio: number;
  readonly channelOrder: 'RGB' | 'BGR';
  readonly range: readonly [number, number];
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** [height, width] used when the model leaves its input size dynamic. */
  readonly defaultSize: readonly [number, number];
}

const base = { shorterRatio: 256 / 224, channelOrder: 'RGB', mean: [0, 0, 0], std: [1, 1, 1], defaultSize: [224, 224] } as const;

export const presets: Readonly<Record<PresetName, Preset>> = {
  imagenet: {
    ...base,
    name: 'imagenet',
    resize: 'shorter',
    range: [0, 1],
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
  caffe: {
    ...base,
    name: 'caffe',
    resize: 'shorter',
    channelOrder: 'BGR',
    range: [0, 255],
    mean: [103.939, 116.779, 123.68],
  },
  raw: { ...base, name: 'raw', resize: 'exact', range: [0, 255], defaultSize: [28, 28] },
  unit: { ...base, name: 'unit', resize: 'exact', range: [0, 1] },
  symmetric: { ...base, name: 'symmetric', resize: 'exact', range: [-1, 1] },
  ppocr: {
    ...base,
    name: 'ppocr',
    resize: 'pad',
    channelOrder: 'BGR',
    range: [-1, 1],
    defaultSize: [48, 192],
  },
};

const isPreset = (name: string): name is PresetName => Object.hasOwn(presets, name);

export function presetNamed(name: string): Preset {
  if (!isPreset(name)) throw new Error(`unknown preset '${name}'; choose one of ${Object.keys(presets).join(', ')}`);
  return presets[name];
}

/** `imagenet: torchvision: shorter side 256, …`: the preset and what it does, as the declaration says it. */
export function describePreset(p: Preset): string {
  return `${p.name}: ${meaningOf('preset', p.name)}`;
}

/** A preset the model itself names in its metadata (key `cnn_fixations.preset`), else by channel count. */
export function defaultPresetName(metadata: ReadonlyMap<string, string>, channels: number): PresetName {
  const named = metadata.get('cnn_fixations.preset');
  if (named && isPreset(named)) return named;
  return channels === 1 ? 'raw' : 'imagenet';
}
