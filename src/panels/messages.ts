// Validation of what the webview sends: the shape of each message, then its numbers against the current
// result (class within the model's classes, layer within the walk, channel within the layer), and rerun
// settings by the declaration's rules (src/shared/settings.ts). Nothing from the webview is used before it
// passes here.
import type { ExportKind, FromWebview, RunSettings } from '../shared/protocol';
import { formKeys, readOption } from '../shared/settings';

/** A message from the webview that failed validation. */
export class InvalidMessage extends Error {}

/** What the current result allows; undefined while nothing has been explained yet. */
export interface Limits {
  readonly classCount: number;
  readonly layers: readonly { readonly shape: readonly number[] }[];
}

const exportKinds: readonly ExportKind[] = ['png', 'json', 'html'];
type Raw = Record<string, unknown>;

function index(m: Raw, key: string, below: number, what: string): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidMessage(`${key} must be a whole number, got ${JSON.stringify(v)}`);
  if (v < 0 || v >= below) throw new InvalidMessage(`${key} ${v} is out of range: ${what} (0–${below - 1})`);
  return v;
}

function flag(o: Raw, key: string): boolean {
  if (typeof o[key] !== 'boolean') throw new InvalidMessage(`overlay.${key} must be true or false`);
  return o[key];
}

/** Channels of a layer's tensor: dimension 1 of NCHW, 0 of CHW, 1 otherwise (vectors have no channel maps). */
export function channelsOf(shape: readonly number[]): number {
  if (shape.length === 4) return shape[1];
  if (shape.length === 3) return shape[0];
  return 1;
}

function needs(limits: Limits | undefined, type: string): Limits {
  if (!limits) throw new InvalidMessage(`'${type}' arrived before there is a result`);
  return limits;
}

/** The form's settings: only the fields given (an absent one keeps the current value), each by the declaration's rules. */
function runSettings(raw: unknown): RunSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidMessage('rerun settings must be an object');
  const o = raw as Raw;
  const unknown = Object.keys(o).filter((k) => !(formKeys as readonly string[]).includes(k));
  if (unknown.length) throw new InvalidMessage(`settings.${unknown[0]} is not a setting the panel can change (${formKeys.join(', ')})`);
  const out: Record<string, unknown> = {};
  for (const key of formKeys) {
    const r = readOption(key, o[key], `settings.${key}`);
    if (!r.ok) throw new InvalidMessage(r.problem);
    if (r.value !== undefined) out[key] = r.value;
  }
  return out as RunSettings;
}

export function parseMessage(raw: unknown, limits: Limits | undefined): FromWebview {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidMessage('a message must be an object');
  const m = raw as Raw;
  const type = m.type;
  switch (type) {
    case 'ready':
      return { type };
    case 'rerun':
      return m.settings === undefined || m.settings === null ? { type } : { type, settings: runSettings(m.settings) };
    case 'explainClass': {
      const l = needs(limits, type);
      return { type, classIndex: index(m, 'classIndex', l.classCount, `the model has ${l.classCount} classes`) };
    }
    case 'compare': {
      const l = needs(limits, type);
      if (m.classIndex === undefined || m.classIndex === null) return { type, classIndex: undefined };
      return { type, classIndex: index(m, 'classIndex', l.classCount, `the model has ${l.classCount} classes`) };
    }
    case 'selectLayer': {
      const l = needs(limits, type);
      const layerIndex = index(m, 'layerIndex', l.layers.length, `the walk has ${l.layers.length} layers`);
      if (m.channel === undefined || m.channel === null) return { type, layerIndex };
      const channels = channelsOf(l.layers[layerIndex].shape);
      return { type, layerIndex, channel: index(m, 'channel', channels, `layer ${layerIndex} has ${channels} channels`) };
    }
    case 'export': {
      needs(limits, type);
      if (!exportKinds.includes(m.kind as ExportKind)) throw new InvalidMessage(`export kind must be one of ${exportKinds.join(', ')}, got ${JSON.stringify(m.kind)}`);
      const o = m.overlay;
      if (typeof o !== 'object' || o === null) throw new InvalidMessage('export needs overlay {heat, points, box, opacity}');
      const ov = o as Raw;
      const opacity = ov.opacity;
      if (typeof opacity !== 'number' || !(opacity >= 0 && opacity <= 1)) throw new InvalidMessage(`overlay.opacity must be a number from 0 to 1, got ${JSON.stringify(opacity)}`);
      return { type, kind: m.kind as ExportKind, overlay: { heat: flag(ov, 'heat'), points: flag(ov, 'points'), box: flag(ov, 'box'), opacity } };
    }
    default:
      throw new InvalidMessage(`unknown message type ${JSON.stringify(type)}`);
  }
}
