// Named preprocessing recipes. A pixel p in 0..255 becomes ((p/255)·(hi-lo) + lo - mean[c]) / std[c],
// after the image is resized and cropped (or padded) to the model's input size.

export type ResizeMode = 'shorter' | 'exact' | 'pad';

export interface Preset {
  readonly name: string;
  readonly description: string;
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

export const presets: Readonly<Record<string, Preset>> = {
  imagenet: {
    ...base,
    name: 'imagenet',
    description: 'torchvision: shorter side 256, centre crop 224, [0,1], mean 0.485 0.456 0.406, std 0.229 0.224 0.225',
    resize: 'shorter',
    range: [0, 1],
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
  caffe: {
    ...base,
    name: 'caffe',
    description: 'Caffe: BGR, 0–255 minus per-channel means 103.939 116.779 123.68, shorter side 256, centre crop',
    resize: 'shorter',
    channelOrder: 'BGR',
    range: [0, 255],
    mean: [103.939, 116.779, 123.68],
  },
  raw: { ...base, name: 'raw', description: '0–255 as is, resized to the input size (e.g. MNIST)', resize: 'exact', range: [0, 255], defaultSize: [28, 28] },
  unit: { ...base, name: 'unit', description: '[0,1], resized to the input size', resize: 'exact', range: [0, 1] },
  symmetric: { ...base, name: 'symmetric', description: '[-1,1], resized to the input size', resize: 'exact', range: [-1, 1] },
  ppocr: {
    ...base,
    name: 'ppocr',
    description: 'PaddleOCR text lines: BGR, [-1,1], height 48, width ≤ 192 keeping the aspect, right-padded with 0',
    resize: 'pad',
    channelOrder: 'BGR',
    range: [-1, 1],
    defaultSize: [48, 192],
  },
};

export function presetNamed(name: string): Preset {
  const p = presets[name];
  if (!p) throw new Error(`unknown preset '${name}'; choose one of ${Object.keys(presets).join(', ')}`);
  return p;
}

/** A preset the model itself names in its metadata (key `cnn_fixations.preset`), else by channel count. */
export function defaultPresetName(metadata: ReadonlyMap<string, string>, channels: number): string {
  const named = metadata.get('cnn_fixations.preset');
  if (named && presets[named]) return named;
  return channels === 1 ? 'raw' : 'imagenet';
}
