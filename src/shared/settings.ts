// Every option a user can choose, declared once: its values and what each one means, its default, and
// where it is offered (a CLI flag, a VS Code setting, a field of the panel's form). The rest is derived
// from this table: the types (ConvMode, Mode, RunOptions, …), the CLI's parser and help (src/cli/options.ts),
// the panel's form (webview-ui/src/views/settings.ts), the checks of the webview's messages
// (src/panels/messages.ts) and of VS Code's settings (src/panels/settings.ts), and package.json's
// contributes.configuration (test/shared/settings.test.ts fails when the two disagree).
// Adding an option: a row here, then the code that uses its value.

/** A value and what it means (the CLI's help, the form's list, VS Code's enumDescriptions). */
type Meaning<V> = readonly [value: V, meaning: string];

interface Offered {
  /** One sentence: what the option decides (VS Code's description, the CLI's help, the form's hint). */
  readonly description: string;
  /** The CLI flag (without `--`) and the word standing for its value in the help; absent: not on the command line. */
  readonly flag?: Meaning<string>;
  /** The VS Code setting under `cnnFixations.`; absent: not a setting. */
  readonly setting?: string;
  /** A per-resource setting (it may differ between workspace folders), like the paths it names. */
  readonly resource?: boolean;
  /** The label of its field in the panel's form; absent: not in the form. */
  readonly form?: string;
}

interface ChoiceOption extends Offered {
  readonly kind: 'choice';
  readonly values: readonly Meaning<string>[];
  readonly default: string;
  /** A value that leaves the choice to the model or the image: the option stays unset (undefined in RunOptions). */
  readonly auto?: Meaning<string>;
  /** Applies to each class's explanation from the kept forward pass: changing it runs no model. */
  readonly perClass?: true;
}

interface NumberOption extends Offered {
  readonly kind: 'number';
  readonly integer: boolean;
  /** Inclusive bounds. */
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** A value that means "work it out": the option stays unset (undefined in RunOptions). */
  readonly auto?: Meaning<number>;
}

/** A file named by a path; what is read from it is up to the caller (labels: the class names). */
interface FileOption extends Offered {
  readonly kind: 'file';
}

type Option = ChoiceOption | NumberOption | FileOption;

export const options = {
  model: {
    kind: 'file',
    setting: 'model',
    resource: true,
    description:
      "The ONNX model that explains images: an absolute path, a path relative to the workspace folder, or one with `${workspaceFolder}`. Empty: the last model used in this workspace, else a pick of the workspace's `.onnx` files.",
  },
  preset: {
    kind: 'choice',
    values: [
      ['imagenet', 'torchvision: shorter side 256, centre crop 224, [0,1], mean 0.485 0.456 0.406, std 0.229 0.224 0.225'],
      ['caffe', 'Caffe: BGR, 0–255 minus per-channel means 103.939 116.779 123.68, shorter side 256, centre crop'],
      ['raw', '0–255 as is, resized to the input size (e.g. MNIST)'],
      ['unit', '[0,1], resized to the input size'],
      ['symmetric', '[-1,1], resized to the input size'],
      ['ppocr', 'PaddleOCR text lines: BGR, [-1,1], height 48, width ≤ 192 keeping the aspect, right-padded with 0'],
    ],
    auto: ['auto', "the model's own choice (metadata key cnn_fixations.preset), else imagenet for colour inputs and raw for one channel"],
    default: 'auto',
    flag: ['preset', 'P'],
    setting: 'preset',
    resource: true,
    form: 'Preprocessing',
    description: "How images are preprocessed into the model's input.",
  },
  labels: {
    kind: 'file',
    flag: ['labels', 'FILE'],
    setting: 'labelsFile',
    resource: true,
    description: "Class names, one per line (line i names class i). Empty: ImageNet's names for 1000-class models, else class numbers.",
  },
  mode: {
    kind: 'choice',
    values: [
      ['discriminative', 'masses, class A against the rest (why this class)'],
      ['weighted', "masses, the paper's rules"],
      ['paper', "the paper's method exactly, every fixation counts 1"],
    ],
    default: 'discriminative',
    perClass: true,
    flag: ['mode', 'M'],
    setting: 'mode',
    form: 'Mode',
    description: 'What the explanation weighs: how much each fixation counts, and against which classes.',
  },
  convMode: {
    kind: 'choice',
    values: [
      ['contribution', 'the receptive-field tap with the largest activation × weight (the paper)'],
      ['center', "the stride-scaled centre of the receptive field (the authors' generic code)"],
      ['activation', 'the tap with the largest input activation'],
    ],
    auto: ['auto', "contribution in mode paper (the paper's results), activation in the modes with masses (measured best there)"],
    default: 'auto',
    flag: ['conv-mode', 'M'],
    setting: 'convMode',
    form: 'Conv rule',
    description: "Where a convolution's fixation goes in its input.",
  },
  flattenMode: {
    kind: 'choice',
    values: [
      ['argmax', "one input per output fixation: the largest contribution (the authors' code)"],
      ['positive', 'every input with a positive contribution'],
    ],
    default: 'argmax',
    flag: ['flatten-mode', 'M'],
    setting: 'flattenMode',
    form: 'Flatten rule',
    description: 'How a fully connected layer over a flattened feature map picks its inputs.',
  },
  sigma: {
    kind: 'number',
    integer: false,
    min: 0,
    max: 10000,
    default: 0,
    auto: [0, "automatic, 0.055 × the image's shorter side"],
    flag: ['sigma', 'S'],
    setting: 'sigma',
    form: 'Heat map sigma (px)',
    description: 'Heat map blur (Gaussian sigma) in image pixels.',
  },
  boxMode: {
    kind: 'choice',
    values: [
      ['points', 'the tight box around the kept points'],
      ['threshold', 'the largest region of the heat map above a fraction of its peak'],
    ],
    default: 'points',
    flag: ['box-mode', 'M'],
    setting: 'boxMode',
    form: 'Box',
    description: 'How the localization box is drawn.',
  },
  top: {
    kind: 'number',
    integer: true,
    min: 1,
    max: 1000,
    default: 5,
    flag: ['top', 'N'],
    setting: 'topK',
    description: 'How many predictions are listed.',
  },
  views: {
    kind: 'choice',
    values: [
      ['single', 'the centre view'],
      ['five', "the paper's four corner and centre crops, their points pooled"],
    ],
    default: 'single',
    flag: ['views', 'V'],
    description: 'Which views of the image the model sees.',
  },
  // Limits: what a file or a model may ask of the machine before anything is allocated for it.
  maxMegapixels: {
    kind: 'number',
    integer: false,
    min: 0.01,
    max: 10000,
    default: 100,
    flag: ['max-megapixels', 'MP'],
    setting: 'maxImageMegapixels',
    description: "The largest image explained, in megapixels (width × height, read from the file's header before it is decoded).",
  },
  memoryLimit: {
    kind: 'number',
    integer: true,
    min: 0,
    max: 1048576,
    default: 0,
    auto: [0, "half of this machine's memory"],
    flag: ['memory-limit', 'MB'],
    setting: 'memoryLimitMB',
    description: "How much memory (MB) the model's input and the tensors an explanation keeps from its forward pass may take together.",
  },
  timeLimit: {
    kind: 'number',
    integer: true,
    min: 0,
    max: 86400,
    default: 120,
    setting: 'timeLimitSeconds',
    description: 'How long (seconds) one explanation may run in VS Code before it is stopped (0: no limit); Cancel stops it sooner.',
  },
} as const satisfies Record<string, Option>;

/** VS Code's section of the settings: `cnnFixations.preset`, … */
export const SECTION = 'cnnFixations';

type Options = typeof options;
export type OptionKey = keyof Options;
type KeysOf<Kind> = { [K in OptionKey]: Options[K] extends { readonly kind: Kind } ? K : never }[OptionKey];
export type ChoiceKey = KeysOf<'choice'>;
export type NumberKey = KeysOf<'number'>;

/** The values of choice `K` (its auto value excluded: that one leaves the option unset). */
export type ChoiceOf<K extends ChoiceKey> = Options[K]['values'][number][0];
export type PresetName = ChoiceOf<'preset'>;
export type Mode = ChoiceOf<'mode'>;
/** @public The conv rule, for the walk (src/unravel/types.ts). */
export type ConvMode = ChoiceOf<'convMode'>;
/** @public The flatten rule, for the walk (src/unravel/types.ts). */
export type FlattenMode = ChoiceOf<'flattenMode'>;
/** @public How the box is drawn, for the heat map stage (src/heatmap/box.ts). */
export type BoxMode = ChoiceOf<'boxMode'>;
export type Views = ChoiceOf<'views'>;

/** The options of a run (the core's ExplainOptions): each one optional, absent meaning its default. */
export type RunOptions = { readonly [K in ChoiceKey]?: ChoiceOf<K> } & { readonly [K in NumberKey]?: number } & {
  /** Class names (what the labels file holds). */
  readonly labels?: readonly string[];
};

type Value<K extends OptionKey> = K extends ChoiceKey ? ChoiceOf<K> : K extends NumberKey ? number : string;

/** Options offered somewhere, in the table's order. */
const keys = Object.keys(options) as OptionKey[];
const declared = (k: OptionKey): Option => options[k];

/** The options of the panel's form. */
export type FormKey = { [K in OptionKey]: Options[K] extends { readonly form: string } ? K : never }[OptionKey];
export const formKeys = keys.filter((k) => declared(k).form !== undefined) as FormKey[];

/** The options that apply per class: a change of them explains the shown classes again without running the model. */
export type PerClassKey = { [K in ChoiceKey]: Options[K] extends { readonly perClass: true } ? K : never }[ChoiceKey];
export const perClassKeys = keys.filter((k) => (declared(k) as ChoiceOption).perClass) as PerClassKey[];

/** What the panel's form may change (a rerun's settings). */
export type FormSettings = Pick<RunOptions, FormKey>;

/** What one explain request may set beside its class, over the run's options, without a new forward pass. */
export type ClassOptions = Pick<RunOptions, PerClassKey> & {
  /** Explain the class against this one (a class index): why the class rather than this one. */
  readonly versus?: number;
};

/** The values a choice accepts from outside: its own, and its auto value (which leaves it unset). */
export function choicesOf(key: ChoiceKey): readonly string[] {
  const o: ChoiceOption = options[key];
  return [...(o.auto ? [o.auto[0]] : []), ...o.values.map(([v]) => v)];
}

/** What a value of choice `key` means (the auto value included). */
export function meaningOf(key: ChoiceKey, value: string): string | undefined {
  const o: ChoiceOption = options[key];
  return [...(o.auto ? [o.auto] : []), ...o.values].find(([v]) => v === value)?.[1];
}

export function defaultOf<K extends ChoiceKey | NumberKey>(key: K): Value<K> {
  return options[key].default as Value<K>;
}

/** A value read from outside, or why it cannot be used. */
export type Read<T> = { readonly ok: true; readonly value: T | undefined } | { readonly ok: false; readonly problem: string };

/**
 * Option `key` as given from outside (a message, a VS Code setting, a CLI flag turned into a number):
 * undefined, null and '' leave it unset, so does its auto value; anything else must be one of its values
 * or a number within its bounds. `name` says where the value came from, for the problem's text.
 */
export function readOption<K extends ChoiceKey | NumberKey>(key: K, raw: unknown, name: string): Read<Value<K>> {
  const o = declared(key) as ChoiceOption | NumberOption;
  if (raw === undefined || raw === null || raw === '') return { ok: true, value: undefined };
  if (o.kind === 'choice') {
    const allowed = choicesOf(key as ChoiceKey);
    if (typeof raw !== 'string' || !allowed.includes(raw))
      return { ok: false, problem: `${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}` };
    return { ok: true, value: raw === o.auto?.[0] ? undefined : (raw as Value<K>) };
  }
  const what = `${o.integer ? 'a whole number' : 'a number'} from ${o.min} to ${o.max}${o.auto ? ` (${o.auto[0]}: ${o.auto[1]})` : ''}`;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < o.min || raw > o.max || (o.integer && !Number.isInteger(raw))) {
    return { ok: false, problem: `${name} must be ${what}, got ${JSON.stringify(raw)}` };
  }
  return { ok: true, value: raw === o.auto?.[0] ? undefined : (raw as Value<K>) };
}

/** Where each option is offered, for the surfaces that list them (CLI help, form, VS Code schema). */
export function offered(where: 'flag' | 'setting' | 'form'): readonly (readonly [OptionKey, Option])[] {
  return keys.filter((k) => declared(k)[where] !== undefined).map((k) => [k, declared(k)] as const);
}

/** The properties of package.json's contributes.configuration, as the table declares them. */
export function configurationProperties(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [, o] of offered('setting')) {
    const p: Record<string, unknown> = {};
    if (o.kind === 'file') Object.assign(p, { type: 'string', default: '' });
    if (o.kind === 'choice') {
      const all = [...(o.auto ? [o.auto] : []), ...o.values];
      Object.assign(p, { type: 'string', default: o.default, enum: all.map(([v]) => v), enumDescriptions: all.map(([, m]) => m) });
    }
    if (o.kind === 'number') Object.assign(p, { type: o.integer ? 'integer' : 'number', default: o.default, minimum: o.min, maximum: o.max });
    if (o.resource) p.scope = 'resource';
    p.markdownDescription = o.kind === 'number' && o.auto ? `${o.description} \`${o.auto[0]}\`: ${o.auto[1]}.` : o.description;
    out[`${SECTION}.${o.setting}`] = p;
  }
  return out;
}
