// DOM helpers that only ever insert text: elements with checked attributes (no event-handler or
// style attributes), text nodes, the VS Code elements the page uses. Everything a process
// controls (names, paths, command lines, queue bytes) goes through here as text — never as HTML.
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string | undefined>, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string | undefined>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (/^on/i.test(k) || k === 'style' || k === 'srcdoc') throw new Error(`refusing attribute ${k}`);
    if (v !== undefined) el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function button(label: string, onClick: () => void, opts: { icon?: string; secondary?: boolean; title?: string; id?: string } = {}): HTMLElement {
  const b = h('vscode-button', { icon: opts.icon, title: opts.title, id: opts.id, 'aria-label': opts.title ?? label });
  if (opts.secondary) b.setAttribute('secondary', '');
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

export function linkButton(label: string, onClick: () => void, title?: string): HTMLElement {
  const b = h('button', { class: 'link', type: 'button', title }, label);
  b.addEventListener('click', onClick);
  return b;
}

export function textfield(value: string, opts: { label: string; placeholder?: string; cls?: string; id?: string }): HTMLElement & { value: string } {
  const f = h('vscode-textfield', { 'aria-label': opts.label, placeholder: opts.placeholder, class: opts.cls, id: opts.id }) as HTMLElement & { value: string };
  f.value = value;
  return f;
}

/** Control characters shown as visible symbols (text views never contain raw control bytes). */
export function visible(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => (c === '\x7f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}

/** A two-column table of facts (row header, value); empty values are left out. `title` of a row: its help. */
export function factsRows(table: HTMLElement, rows: Array<[string, Child, string?]>): void {
  table.replaceChildren(
    ...rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v, help]) => h('tr', {}, h('th', { scope: 'row', title: help }, k), h('td', {}, v))),
  );
}
