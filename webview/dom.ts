// DOM helpers that only ever insert text: elements with checked attributes (no event-handler or
// style attributes), text nodes, the VS Code elements the page uses. Everything a process
// controls (names, paths, command lines, queue bytes) goes through here as text — never as HTML —
// and through the page's one escaping door, shown(): every string child and attribute value h()
// and append() put in, and every text set with setText(), has its control characters, bidi
// controls and invisible characters escaped (core/escape.ts escapeControl), so a name cannot
// reorder the row it is in (U+202E), hide a character (U+200B) or start a line of its own. The
// inspector and the topology map both build their pages with these.
import { escapeControl } from '../src/core/escape';

/** One line of text as the page shows it: control, bidi and invisible characters escaped (`\x1b`, `\u202e`, `\u200b`, `\n`). */
export function shown(text: string): string {
  return escapeControl(text);
}

/** Sets an element's text (escaped like every text of the page). */
export function setText(el: Node, text: string): void {
  const t = shown(text);
  if (el.textContent !== t) el.textContent = t;
}

export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string | undefined>, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string | undefined>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (/^on/i.test(k) || k === 'style' || k === 'srcdoc') throw new Error(`refusing attribute ${k}`);
    if (v !== undefined) el.setAttribute(k, shown(v));
  }
  append(el, children);
  return el;
}

/** Appends children: strings and numbers as escaped text nodes, nodes as they are (visibleLines() makes one that keeps its lines). */
export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(shown(String(c))) : c);
  }
}

/**
 * What a click on an element does, kept beside the element (not as its listener) so that an
 * update patching the page in place (patchChildren) hands a kept element the new action.
 */
const actions = new WeakMap<Element, () => void>();

export function onAction(el: Element, fn: () => void): void {
  if (!actions.has(el)) el.addEventListener('click', () => actions.get(el)?.());
  actions.set(el, fn);
}

export function button(label: string, onClick: () => void, opts: { icon?: string; secondary?: boolean; title?: string; id?: string; disabled?: boolean } = {}): HTMLElement {
  const b = h('vscode-button', { icon: opts.icon, title: opts.title, id: opts.id, 'aria-label': opts.title ?? label });
  if (opts.secondary) b.setAttribute('secondary', '');
  if (opts.disabled) b.setAttribute('disabled', '');
  setText(b, label);
  onAction(b, onClick);
  return b;
}

export function linkButton(label: string, onClick: () => void, title?: string, id?: string): HTMLElement {
  const b = h('button', { class: 'link', type: 'button', title, id }, label);
  onAction(b, onClick);
  return b;
}

/** Elements an update matches by key: their `id`, else `data-key`. */
function keyOf(n: Node): string | undefined {
  if (!(n instanceof Element)) return undefined;
  return n.id || n.getAttribute('data-key') || undefined;
}

/**
 * Makes `parent`'s children look like `next` while keeping the elements that match (same tag and
 * key, or same tag at the same place among unkeyed ones): attributes and text are updated in
 * place, so the element that has the keyboard focus, a selection or a hover keeps it across live
 * updates (issue 11). Kept elements take the new element's click action.
 */
export function patchChildren(parent: Element, next: Node[]): void {
  const old = Array.from(parent.childNodes);
  const keyed = new Map<string, Node>();
  const unkeyed: Node[] = [];
  for (const n of old) {
    const k = keyOf(n);
    if (k) keyed.set(k, n);
    else unkeyed.push(n);
  }
  let u = 0;
  const used = new Set<Node>();
  next.forEach((n, j) => {
    const k = keyOf(n);
    let match: Node | undefined;
    if (k) match = keyed.get(k);
    else {
      while (u < unkeyed.length && used.has(unkeyed[u])) u++;
      match = unkeyed[u];
      if (match) u++;
    }
    if (match && !used.has(match) && sameKind(match, n)) {
      used.add(match);
      patchNode(match, n);
    } else match = n;
    if (parent.childNodes[j] !== match) parent.insertBefore(match, parent.childNodes[j] ?? null);
  });
  while (parent.childNodes.length > next.length) parent.lastChild!.remove();
}

function sameKind(a: Node, b: Node): boolean {
  if (a.nodeType !== b.nodeType) return false;
  return !(a instanceof Element) || a.tagName === (b as Element).tagName;
}

function patchNode(target: Node, src: Node): void {
  if (!(target instanceof Element) || !(src instanceof Element)) {
    if (target.nodeValue !== src.nodeValue) target.nodeValue = src.nodeValue;
    return;
  }
  for (const a of Array.from(target.attributes)) if (!src.hasAttribute(a.name)) target.removeAttribute(a.name);
  for (const a of Array.from(src.attributes)) if (target.getAttribute(a.name) !== a.value) target.setAttribute(a.name, a.value);
  const act = actions.get(src);
  if (act) onAction(target, act);
  patchChildren(target, Array.from(src.childNodes));
}

export function textfield(value: string, opts: { label: string; placeholder?: string; cls?: string; id?: string }): HTMLElement & { value: string } {
  const f = h('vscode-textfield', { 'aria-label': opts.label, placeholder: opts.placeholder, class: opts.cls, id: opts.id }) as HTMLElement & { value: string };
  f.value = value;
  return f;
}

/** A C0 control or DEL as its control picture (␛, ␊, ␡). */
function picture(c: string): string {
  return c === '\x7f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0));
}

/** One line of bytes shown as text (a peeked preview, a fact, a command line): C0 controls as their pictures (␛, ␊), the rest as shown(). */
export function visible(text: string): string {
  return shown(text.replace(/[\x00-\x1f\x7f]/g, picture));
}

/**
 * Lines of bytes shown as text (a peeked message in a <pre>): as visible(), but newlines and tabs
 * stay what they are, and a CR right before a newline is that line's end (CRLF), as less shows it:
 * HTTP, SMTP and Redis end every line so, and each line read `…HTTP/1.1␍`. A lone CR (a progress
 * bar's rewrite) keeps its picture; the hex view beside shows every `0d`.
 */
export function visibleLinesText(text: string): string {
  return escapeControl(text.replace(/\r(?=\n)/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, picture), { keepNewlines: true, keepTabs: true });
}

/** visibleLinesText as a text node, so h() and append() keep its lines. */
export function visibleLines(text: string): Text {
  return document.createTextNode(visibleLinesText(text));
}

/** A two-column table of facts (row header, value); empty values are left out. `title` of a row: its help. */
export function factsRows(table: HTMLElement, rows: Array<[string, Child, string?]>): void {
  patchChildren(
    table,
    rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v, help]) => h('tr', { 'data-key': `fact:${k}` }, h('th', { scope: 'row', title: help }, k), h('td', {}, v))),
  );
}
