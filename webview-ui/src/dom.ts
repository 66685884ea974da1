// A tiny element builder. Text always goes in as text nodes (textContent), never as markup: labels and
// model metadata come from files the user opened and are untrusted.

type Child = Node | string | number | null | undefined | false;
type Handlers = { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };

export interface Props {
  readonly class?: string;
  readonly text?: string;
  readonly title?: string;
  readonly on?: Handlers;
  /** Attributes (aria-*, role, type, tabindex, …); undefined and false leave them out. */
  readonly attrs?: Readonly<Record<string, string | number | boolean | undefined>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const [type, fn] of Object.entries(props.on ?? {})) el.addEventListener(type, fn as EventListener);
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Replaces all children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export function button(label: string, onClick: () => void, props: Props = {}): HTMLButtonElement {
  return h('button', { ...props, attrs: { type: 'button', ...props.attrs }, on: { click: onClick, ...props.on }, text: label });
}

let ids = 0;
export function uid(prefix: string): string {
  return `${prefix}-${++ids}`;
}
