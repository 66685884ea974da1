// What one explanation may ask of the machine, checked before anything is allocated for it: the image's
// pixels (from its header), and the memory of the model's input and of the tensors the forward pass keeps
// (from their shapes). The same messages reach the CLI, the engine and the panel; each says what is too
// large, the limit, and the flag and setting that raise it (declared in src/shared/settings.ts).
import * as os from 'node:os';
import type { OnnxGraph } from './onnx/graph';
import { defaultOf, options, SECTION, type RunOptions } from './shared/settings';
import { convInputs } from './unravel/plan';
import { inferShapes } from './unravel/shapes';
import type { Constants, OpTable } from './unravel/types';

/** Something is larger than a limit: the message says what, by how much, and how to raise the limit. */
export class LimitError extends Error {}

const raise = (key: 'maxMegapixels' | 'memoryLimit') => `--${options[key].flag[0]}, setting ${SECTION}.${options[key].setting}`;

const MB = 1024 * 1024;
export const mb = (bytes: number): string =>
  bytes >= 10 * 1024 * MB
    ? `${(bytes / 1024 / MB).toFixed(0)} GB`
    : bytes >= 1024 * MB
      ? `${(bytes / 1024 / MB).toFixed(1)} GB`
      : `${Math.ceil(bytes / MB)} MB`;

/** The largest image, in pixels. */
export function maxPixels(o: Pick<RunOptions, 'maxMegapixels'>): number {
  return Math.round((o.maxMegapixels ?? defaultOf('maxMegapixels')) * 1e6);
}

/** Refuses an image of width × height pixels over the limit (before it is decoded). */
export function checkPixels(label: string, width: number, height: number, limit: number): void {
  if (width * height <= limit) return;
  throw new LimitError(
    `image ${label} is ${width}×${height} (${((width * height) / 1e6).toFixed(width * height < 1e6 ? 2 : 1)} megapixels), more than the limit of ${limit / 1e6} megapixels: ` +
      `scale it down, or raise the limit (${raise('maxMegapixels')})`,
  );
}

/** This machine's memory, read once: Node reads /proc/meminfo for it (~0.2 ms, each image of a sweep asked). */
let totalMemory: number | undefined;

/** The memory budget in bytes: the option, else half of this machine's memory. */
export function memoryBudget(o: Pick<RunOptions, 'memoryLimit'>): number {
  return o.memoryLimit ? o.memoryLimit * MB : Math.floor((totalMemory ??= os.totalmem()) / 2);
}

/** What an explanation would hold in memory, by part, and the largest single tensor it would keep. */
export interface MemoryNeed {
  readonly parts: readonly { readonly what: string; readonly bytes: number }[];
  readonly largest?: { readonly name: string; readonly bytes: number };
}

/** Refuses an explanation whose input and kept tensors would take more than the budget. */
export function checkMemory(need: MemoryNeed, budget: number): void {
  const total = need.parts.reduce((a, p) => a + p.bytes, 0);
  if (total <= budget) return;
  const parts = need.parts
    .filter((p) => p.bytes > 0)
    .map((p) => `${p.what} ${mb(p.bytes)}`)
    .join(', ');
  const largest = need.largest ? `; the largest kept tensor, '${need.largest.name}', alone takes ${mb(need.largest.bytes)}` : '';
  throw new LimitError(
    `explaining this would take about ${mb(total)} of memory (${parts}${largest}), more than the limit of ${mb(budget)}: ` +
      `check the model's input size, or raise the limit (${raise('memoryLimit')})`,
  );
}

/** Bytes per element of an ONNX data type (4 when unknown: the float32 most activations are). */
const elemBytes = (type: number | undefined): number => ({ 2: 1, 3: 1, 4: 2, 5: 2, 7: 8, 9: 1, 10: 2, 11: 8, 13: 8, 16: 2 })[type ?? 1] ?? 4;

const count = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/** A tensor one forward pass keeps: its bytes, and those of the channel-last copy a conv rule may make of it (else 0). */
export interface KeptTensor {
  readonly name: string;
  readonly bytes: number;
  readonly copyBytes: number;
}

/**
 * What one forward pass of `graph` on an input of `dims` would keep: the tensors the walk needs (`kept`, the
 * exposure plan's), with shapes inferred from the input's. Tensors whose shape cannot be inferred count 0. A conv's
 * input may also be copied channel-last by its rule (plan.ts, convInputs).
 */
export function keptTensors(
  graph: OnnxGraph,
  ops: OpTable,
  constants: Constants,
  input: string,
  dims: readonly number[],
  kept: readonly string[],
): KeptTensor[] {
  const shapes = inferShapes(graph, ops, constants, new Map([[input, [...dims]]]));
  const copied = convInputs(graph, ops, constants, kept);
  const listed = kept.flatMap((name) => {
    const s = shapes.get(name);
    if (!s) return [];
    return [{ name, bytes: count(s) * elemBytes(graph.valueInfo.get(name)?.elemType || undefined), copyBytes: count(s) * (copied.get(name) ?? 0) }];
  });
  // Conv inputs the walk makes from kept tensors: not kept, only copied channel-last.
  const held = new Set(kept);
  for (const [name, bytes] of copied) {
    const s = shapes.get(name);
    if (!held.has(name) && s) listed.push({ name, bytes: 0, copyBytes: count(s) * bytes });
  }
  return listed;
}

/**
 * The memory an explanation of `views` crops of a `resized` image would need: the resized image, the inputs, the
 * kept tensors, and the channel-last copies a conv rule may make of them and of the input (`copyBytesPerElement`: 0
 * when no conv reads the input).
 */
export function explanationNeed(
  resized: { width: number; height: number },
  input: { dims: readonly number[]; bytesPerElement: number; copyBytesPerElement?: number },
  kept: readonly KeptTensor[],
  views: number,
): MemoryNeed {
  const largest = kept.reduce<KeptTensor | undefined>((a, t) => (!a || t.bytes > a.bytes ? t : a), undefined);
  const copies = kept.filter((t) => t.copyBytes > 0);
  const inputCopy = count(input.dims) * (input.copyBytesPerElement ?? 0);
  return {
    parts: [
      { what: `the image resized to ${resized.width}×${resized.height}`, bytes: resized.width * resized.height * 4 },
      { what: `the model's input [${input.dims.join('×')}]${views > 1 ? ` ×${views} views` : ''}`, bytes: count(input.dims) * input.bytesPerElement * views },
      { what: `${kept.length} kept tensors${views > 1 ? ` ×${views} views` : ''}`, bytes: kept.reduce((a, t) => a + t.bytes, 0) * views },
      {
        what: `the conv rule's channel-last copies of ${copies.length} of them${inputCopy ? ' and of the input' : ''}${views > 1 ? ` ×${views} views` : ''}`,
        bytes: (copies.reduce((a, t) => a + t.copyBytes, 0) + inputCopy) * views,
      },
    ],
    largest: largest && { name: largest.name, bytes: largest.bytes },
  };
}
