// Attribute schemas: what an op's rule and kernel read from its node's attributes, declared once per op as data
// (type, default, the values the rule handles, the opsets where ONNX's changelog has the attribute), parsed and
// checked once per node into a typed record (cached), as onnx's OpSchema and onnxruntime's kernels declare them.
// A wrong type, a value the rule does not handle, a required attribute missing, or an attribute of another
// opset's form is an UnsupportedError naming the op, the node, the attribute and what is accepted: never a
// silent default. Attributes a schema does not declare are not read by the core and are not checked.
import type { AttrValue, OnnxNode } from '../onnx/graph';
import { ConstTensor } from '../onnx/tensor';
import { UnsupportedError } from './types';

/** Where an attribute exists, by the model's opset: [first, last] (ONNX's operator changelog). */
export type OpsetRange = readonly [from: number, to: number];

/** One attribute: how its raw value becomes T (or why it cannot), for the node's opset. */
export interface Attr<T> {
  /** The ONNX type, as messages say it ("int", "ints", "string", …). */
  readonly type: string;
  readonly opsets?: OpsetRange;
  /** Where the attribute went outside `opsets` (e.g. "input 1 from opset 11"), for the refusal. */
  readonly moved?: string;
  /** The value for a present raw value, or a string saying what is accepted. */
  read(raw: AttrValue, opset: number | undefined): T | { readonly refused: string };
  /** The value when absent, or a string saying it is required. */
  absent(opset: number | undefined): T | { readonly refused: string };
}

type Refusal = { readonly refused: string };
const refuse = (refused: string): Refusal => ({ refused });
const isRefusal = (v: unknown): v is Refusal => typeof v === 'object' && v !== null && 'refused' in v && !(v instanceof ConstTensor);

interface Options<T> {
  /** The values the rule handles (the rest are refused). */
  readonly oneOf?: readonly T[];
  /** Further checks: a message saying what is accepted, or undefined when the value is fine. */
  readonly check?: (v: T) => string | undefined;
  readonly opsets?: OpsetRange;
  readonly moved?: string;
}

/** A default that changed with the opset: the value from each opset on (ascending), e.g. Softmax's axis. */
export type Default<T> = T | { readonly byOpset: readonly (readonly [from: number, value: T])[] };

function defaultFor<T>(d: Default<T>, opset: number | undefined): T {
  if (typeof d !== 'object' || d === null || !('byOpset' in d)) return d;
  const list = d.byOpset;
  let v = list[0][1];
  for (const [from, value] of list) if (opset === undefined || opset >= from) v = value;
  return v;
}

const show = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

function scalar<T extends number | string>(type: string, is: (raw: AttrValue) => raw is T, dflt: Default<T> | undefined, o: Options<T> = {}): Attr<T> {
  const accepted = o.oneOf ? `one of ${o.oneOf.map(show).join(', ')}` : `an ${type}`;
  return {
    type,
    opsets: o.opsets,
    moved: o.moved,
    read(raw) {
      if (!is(raw)) return refuse(`is ${show(raw)}, not ${type === 'int' ? 'an' : 'a'} ${type}`);
      if (o.oneOf && !o.oneOf.includes(raw)) return refuse(`is ${show(raw)}; the rule handles ${accepted}`);
      const bad = o.check?.(raw);
      return bad ? refuse(`is ${show(raw)}; ${bad}`) : raw;
    },
    absent: (opset) => (dflt === undefined ? refuse(`is missing; it is required (${accepted})`) : defaultFor(dflt, opset)),
  };
}

function list<T extends number | string>(
  type: string,
  each: (v: unknown) => v is T,
  required: boolean,
  o: Options<readonly T[]> = {},
): Attr<readonly T[] | undefined> {
  return {
    type,
    opsets: o.opsets,
    moved: o.moved,
    read(raw) {
      if (!Array.isArray(raw) || !(raw as unknown[]).every(each)) return refuse(`is ${show(raw)}, not a list of ${type.replace(/s$/, '')}s`);
      const v = raw as unknown as readonly T[];
      const bad = o.check?.(v);
      return bad ? refuse(`is ${show(v)}; ${bad}`) : v;
    },
    absent: () => (required ? refuse(`is missing; it is required (${type})`) : undefined),
  };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number';
const isStr = (v: unknown): v is string => typeof v === 'string';

/** The attribute kinds a schema is written with. */
export const attr = {
  int: (dflt: Default<number>, o?: Options<number>): Attr<number> => scalar('int', (r): r is number => isInt(r), dflt, o),
  /** An int without a default: undefined when absent. */
  optInt: (o?: Options<number>): Attr<number | undefined> => {
    const a = scalar('int', (r): r is number => isInt(r), 0, o);
    return { ...a, absent: () => undefined };
  },
  /** A required int (no default). */
  requiredInt: (o?: Options<number>): Attr<number> => scalar('int', (r): r is number => isInt(r), undefined, o),
  /** An int used as a flag: 0 or 1. */
  flag: (dflt: 0 | 1, o: Omit<Options<number>, 'oneOf'> = {}): Attr<boolean> => {
    const a = scalar('int', (r): r is number => isInt(r), dflt, { ...o, oneOf: [0, 1] });
    return {
      ...a,
      read: (raw, opset) => {
        const v = a.read(raw, opset);
        return isRefusal(v) ? v : v === 1;
      },
      absent: () => dflt === 1,
    };
  },
  float: (dflt: Default<number>, o?: Options<number>): Attr<number> => scalar('float', (r): r is number => isNum(r), dflt, o),
  string: <const V extends string>(dflt: Default<V>, oneOf: readonly V[], o: Omit<Options<V>, 'oneOf'> = {}): Attr<V> =>
    scalar('string', (r): r is V => isStr(r), dflt, { ...o, oneOf }),
  ints: (o?: Options<readonly number[]>): Attr<readonly number[] | undefined> => list('ints', isInt, false, o),
  requiredInts: (o?: Options<readonly number[]>): Attr<readonly number[]> => list('ints', isInt, true, o) as Attr<readonly number[]>,
  floats: (o?: Options<readonly number[]>): Attr<readonly number[] | undefined> => list('floats', isNum, false, o),
  tensor: (o: Pick<Options<ConstTensor>, 'opsets' | 'moved'> = {}): Attr<ConstTensor | undefined> => ({
    type: 'tensor',
    opsets: o.opsets,
    moved: o.moved,
    read: (raw) => (raw instanceof ConstTensor ? raw : refuse(`is ${show(raw)}, not a tensor`)),
    absent: () => undefined,
  }),
};

/** The typed record a schema parses to: each attribute's T, by name. */
export type Parsed<S> = { readonly [K in keyof S]: S[K] extends Attr<infer T> ? T : never };

/** An op's attributes as data, and the parser of its nodes' records (each node parsed once). */
export interface Schema<A> {
  readonly attrs: Readonly<Record<string, Attr<unknown>>>;
  /** The node's record; throws the UnsupportedError that names the attribute and what is accepted. */
  of(node: OnnxNode): A;
  /** Why the node's attributes are refused, or undefined when they parse. */
  problem(node: OnnxNode): string | undefined;
}

const inRange = (r: OpsetRange | undefined, opset: number | undefined) => !r || opset === undefined || (opset >= r[0] && opset <= r[1]);

/** A schema from its attributes: `schema({ group: attr.int(1), … }).of(node).group` is a number. */
export function schema<S extends Record<string, Attr<unknown>>>(attrs: S): Schema<Parsed<S>> {
  const cache = new WeakMap<OnnxNode, Parsed<S> | Refusal>();
  const parse = (node: OnnxNode): Parsed<S> | Refusal => {
    const hit = cache.get(node);
    if (hit) return hit;
    const out: Record<string, unknown> = {};
    let result: Parsed<S> | Refusal | undefined;
    for (const [name, a] of Object.entries(attrs)) {
      const raw = node.attrs.get(name);
      const at = node.opset === undefined ? '' : ` at opset ${node.opset}`;
      let v: unknown;
      if (!inRange(a.opsets, node.opset)) {
        if (raw === undefined) {
          // not part of this opset's form: the value the op behaves with (its default), or undefined
          const d = a.absent(node.opset);
          out[name] = isRefusal(d) ? undefined : d;
          continue;
        }
        const range = !a.opsets ? '' : a.opsets[1] === Infinity ? `opsets ${a.opsets[0]} and later` : `opsets ${a.opsets[0]}–${a.opsets[1]}`;
        v = refuse(`is not an attribute of ${node.opType}${at} (it is one at ${range}${a.moved ? `; ${a.moved}` : ''})`);
      } else v = raw === undefined ? a.absent(node.opset) : a.read(raw, node.opset);
      if (isRefusal(v)) {
        result = refuse(`attribute '${name}' ${v.refused}`);
        break;
      }
      out[name] = v;
    }
    result ??= Object.freeze(out) as Parsed<S>;
    cache.set(node, result);
    return result;
  };
  return {
    attrs,
    of(node) {
      const r = parse(node);
      if (isRefusal(r)) throw new UnsupportedError(node.opType, node.name, r.refused);
      return r;
    },
    problem(node) {
      const r = parse(node);
      return isRefusal(r) ? r.refused : undefined;
    },
  };
}
