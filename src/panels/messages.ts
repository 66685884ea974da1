// Validation of what the webview sends: the shape of each message and its request id, then its numbers
// against the current result (class within the model's classes and, for "why not", other than the explained
// one; layer within the walk, channel within the layer), and rerun settings by the declaration's rules
// (src/shared/settings.ts). Nothing from the webview
// is used before it passes here; what fails is refused with an InvalidMessage, never corrected.
import { tensorGrid } from '../shared/layout';
import type { OverlayOptions } from '../shared/overlay';
import type { ExportKind, FromWebview } from '../shared/protocol';
import { formKeys, readOption, type FormSettings } from '../shared/settings';

/** A message from the webview that failed validation. */
export class InvalidMessage extends Error {}

/** What the current result allows; undefined while nothing has been explained yet. */
export interface Limits {
  readonly classCount: number;
  /** The explained class. */
  readonly explained: number;
  readonly layers: readonly { readonly shape: readonly number[] }[];
}

const exportKinds: readonly ExportKind[] = ['png', 'json', 'html'];
type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function index(m: Raw, key: string, below: number, what: string): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidMessage(`${key} must be a whole number, got ${JSON.stringify(v)}`);
  if (v < 0 || v >= below) throw new InvalidMessage(`${key} ${v} is out of range: ${what} (0–${below - 1})`);
  return v;
}

/** `key` when the message has it, else nothing (null counts as absent). */
function optional<T>(m: Raw, key: string, read: () => T): T | undefined {
  return m[key] === undefined || m[key] === null ? undefined : read();
}

function flag(o: Raw, key: string): boolean {
  if (typeof o[key] !== 'boolean') throw new InvalidMessage(`overlay.${key} must be true or false`);
  return o[key];
}

function needs(limits: Limits | undefined, type: string): Limits {
  if (!limits) throw new InvalidMessage(`'${type}' arrived before there is a result`);
  return limits;
}

/** The id of a request: a positive whole number the webview counts up. */
export function requestId(raw: unknown): number | undefined {
  const id = isObject(raw) ? raw.id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** A class index and, optionally, the class it is explained against. */
function classChoice(m: Raw, l: Limits): { classIndex: number; versus?: number } {
  const classes = `the model has ${l.classCount} classes`;
  const classIndex = index(m, 'classIndex', l.classCount, classes);
  const versus = optional(m, 'versus', () => index(m, 'versus', l.classCount, classes));
  return versus === undefined ? { classIndex } : { classIndex, versus };
}

/** The form's settings: only the fields given (an absent one keeps the current value), each by the declaration's rules. */
function formSettings(raw: unknown): FormSettings {
  if (!isObject(raw)) throw new InvalidMessage('rerun settings must be an object');
  const unknown = Object.keys(raw).filter((k) => !(formKeys as readonly string[]).includes(k));
  if (unknown.length) throw new InvalidMessage(`settings.${unknown[0]} is not a setting the panel can change (${formKeys.join(', ')})`);
  const out: Record<string, unknown> = {};
  for (const key of formKeys) {
    const r = readOption(key, raw[key], `settings.${key}`);
    if (!r.ok) throw new InvalidMessage(r.problem);
    if (r.value !== undefined) out[key] = r.value;
  }
  return out as FormSettings;
}

function overlay(raw: unknown): OverlayOptions {
  if (!isObject(raw)) throw new InvalidMessage('export needs overlay {heat, points, box, opacity}');
  const opacity = raw.opacity;
  if (typeof opacity !== 'number' || !(opacity >= 0 && opacity <= 1))
    throw new InvalidMessage(`overlay.opacity must be a number from 0 to 1, got ${JSON.stringify(opacity)}`);
  return { heat: flag(raw, 'heat'), points: flag(raw, 'points'), box: flag(raw, 'box'), opacity };
}

type Parsers = { readonly [K in FromWebview['type']]: (m: Raw, id: number, limits: Limits | undefined) => Extract<FromWebview, { type: K }> };

/** One parser per message type (the mapped type makes it exhaustive). */
const parsers: Parsers = {
  ready: (_m, id) => ({ type: 'ready', id }),
  rerun: (m, id) => {
    const settings = optional(m, 'settings', () => formSettings(m.settings));
    return settings ? { type: 'rerun', id, settings } : { type: 'rerun', id };
  },
  explainClass: (m, id, limits) => ({ type: 'explainClass', id, ...classChoice(m, needs(limits, 'explainClass')) }),
  compare: (m, id, limits) => {
    const l = needs(limits, 'compare');
    return optional(m, 'classIndex', () => ({ type: 'compare' as const, id, ...classChoice(m, l) })) ?? { type: 'compare', id, classIndex: undefined };
  },
  whyNot: (m, id, limits) => {
    const l = needs(limits, 'whyNot');
    const classIndex = optional(m, 'classIndex', () => index(m, 'classIndex', l.classCount, `the model has ${l.classCount} classes`));
    if (classIndex === l.explained) throw new InvalidMessage(`classIndex ${classIndex} is the explained class: "why not" asks about another class`);
    return { type: 'whyNot', id, classIndex };
  },
  selectLayer: (m, id, limits) => {
    const l = needs(limits, 'selectLayer');
    const layerIndex = index(m, 'layerIndex', l.layers.length, `the walk has ${l.layers.length} layers`);
    const { channels } = tensorGrid(l.layers[layerIndex].shape);
    const channel = optional(m, 'channel', () => index(m, 'channel', channels, `layer ${layerIndex} has ${channels} channels`));
    return channel === undefined ? { type: 'selectLayer', id, layerIndex } : { type: 'selectLayer', id, layerIndex, channel };
  },
  export: (m, id, limits) => {
    needs(limits, 'export');
    if (!exportKinds.includes(m.kind as ExportKind))
      throw new InvalidMessage(`export kind must be one of ${exportKinds.join(', ')}, got ${JSON.stringify(m.kind)}`);
    return { type: 'export', id, kind: m.kind as ExportKind, overlay: overlay(m.overlay) };
  },
};

export function parseMessage(raw: unknown, limits: Limits | undefined): FromWebview {
  if (!isObject(raw)) throw new InvalidMessage('a message must be an object');
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(parsers, type)) throw new InvalidMessage(`unknown message type ${JSON.stringify(type)}`);
  const id = requestId(raw);
  if (id === undefined) throw new InvalidMessage(`a '${type}' request needs an id (a whole number above 0), got ${JSON.stringify(raw.id)}`);
  return parsers[type as FromWebview['type']](raw, id, limits);
}
