// The map's side panel, the accessible twin of the canvas: the selection's details and actions,
// the busiest links (with their rates in words), and every drawn node as a keyboard-navigable
// listbox. Built with DOM APIs and text only, through the inspector's dom.ts (escaped by its one
// door, shown()): labels, names and ids are other users' text.
import type { TopoEdge, TopoGraph, TopoNode } from '../../src/core/topology/types';
import { rateText } from '../../src/core/topology/graph';
import { shortText } from '../../src/core/format';
import { h, setText, shown, type Child } from '../dom';
import { plural } from '../../src/core/text';

/** Nodes listed at most (the canvas draws every node; the search finds any). */
const MAX_LIST = 1500;

export interface PanelActions {
  select(id: string | null, edge?: boolean): void;
  activate(id: string): void;
  toggle(id: string): void;
  inspectChannel(id: string): void;
  inspectPid(pid: number): void;
}

const TYPE_WORDS: Record<TopoNode['type'], string> = { process: 'process', group: 'group', object: 'shared object', unheld: 'unheld objects' };

export function nodeSummary(n: TopoNode): string {
  const problems = n.severity ? `, ${n.severity}: ${n.problems[0] ?? ''}` : '';
  return `${n.label}, ${TYPE_WORDS[n.type]}${n.type === 'group' ? ` of ${n.processes}` : ''}, ${n.detail}${problems}`;
}

function edgeWords(e: TopoEdge): string {
  if (e.forward && !e.backward) return '→';
  if (e.backward && !e.forward) return '←';
  return '⇄';
}

export class SidePanel {
  private readonly items = new Map<string, HTMLLIElement>();
  private order: string[] = [];
  private graph: TopoGraph | null = null;
  /** A node's name in the links' words: its label, with its pid where another node has that label. */
  private labels = new Map<string, string>();

  constructor(
    private readonly details: HTMLElement,
    private readonly links: HTMLOListElement,
    readonly list: HTMLUListElement,
    private readonly actions: PanelActions,
  ) {
    // A double-click opens the row its first click chose: that click fills the details pane above
    // the list, which moves the rows, so the second click may land on another row.
    let pressed: string | null = null;
    list.addEventListener('click', (ev) => {
      if (ev.detail > 1) return; // the second click of a double-click
      const li = (ev.target as HTMLElement).closest('li[data-id]') as HTMLLIElement | null;
      pressed = li?.dataset.id ?? null;
      if (pressed) this.actions.select(pressed);
    });
    list.addEventListener('dblclick', (ev) => {
      const li = (ev.target as HTMLElement).closest('li[data-id]') as HTMLLIElement | null;
      const id = pressed ?? li?.dataset.id;
      if (id) this.actions.activate(id);
    });
    list.addEventListener('keydown', (ev) => this.onListKey(ev));
    links.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest('[data-edge]') as HTMLElement | null;
      if (b?.dataset.edge) this.actions.select(b.dataset.edge, true);
    });
  }

  /** The listbox's option for a node id (for aria-activedescendant and tests). */
  optionFor(id: string): HTMLLIElement | undefined {
    return this.items.get(id);
  }

  setGraph(g: TopoGraph): void {
    this.graph = g;
    // a link names its ends; two processes of one name (a server's workers) would read alike, so
    // those carry their pid, as the trees name a process
    const uses = new Map<string, number>();
    for (const n of g.nodes) uses.set(n.label, (uses.get(n.label) ?? 0) + 1);
    this.labels = new Map(g.nodes.map((n) => [n.id, (uses.get(n.label) ?? 0) > 1 && n.pid !== undefined ? `${n.label}[${n.pid}]` : n.label]));
    // nodes: problems first, then the busiest, then by name
    const sevRank = { error: 0, warning: 1, info: 2 } as const;
    const sorted = [...g.nodes].sort(
      (a, b) =>
        (a.severity ? sevRank[a.severity] : 3) - (b.severity ? sevRank[b.severity] : 3) ||
        b.bytesPerSec + b.opsPerSec - (a.bytesPerSec + a.opsPerSec) ||
        a.label.localeCompare(b.label),
    );
    // the list is bounded (the search finds the rest); the canvas draws them all
    const more = sorted.length - MAX_LIST;
    if (more > 0) sorted.length = MAX_LIST;
    const seen = new Set<string>();
    let i = 0;
    for (const n of sorted) {
      seen.add(n.id);
      let li = this.items.get(n.id);
      if (!li) {
        li = h('li', { role: 'option', id: `opt-${this.items.size}-${i}`, 'aria-selected': 'false' });
        li.dataset.id = n.id;
        li.append(h('span', { class: 'swatch' }), h('span', { class: 'name' }), h('span', { class: 'meta' }));
        this.items.set(n.id, li);
      }
      // touch the DOM only where something changed (a refresh changes a few rates)
      const key = `${n.type}|${n.family}|${n.severity}|${n.match}|${Math.round(n.bytesPerSec)}|${n.processes}|${n.label}|${n.detail}|${n.problems.join('|')}`;
      if (li.dataset.key !== key) {
        li.dataset.key = key;
        li.dataset.type = n.type;
        // the swatch wears the node's colour on the map: its kind family's (a segment purple, a queue orange)
        li.dataset.family = n.family ?? '';
        li.dataset.severity = n.severity ?? '';
        li.dataset.match = String(n.match);
        li.dataset.bytes = String(Math.round(n.bytesPerSec));
        setText(li.children[1], n.type === 'group' ? `${n.label} (${n.processes})` : n.label);
        setText(li.children[2], n.detail);
        li.title = shown(nodeSummary(n));
      }
      i++;
    }
    for (const [id, li] of this.items) {
      if (!seen.has(id)) {
        li.remove();
        this.items.delete(id);
      }
    }
    const ids = sorted.map((n) => n.id);
    if (more > 0) ids.push(`+${more}`);
    if (ids.join('\n') !== this.order.join('\n')) {
      this.order = ids;
      const rows: HTMLLIElement[] = ids.filter((id) => !id.startsWith('+')).map((id) => this.items.get(id)!);
      if (more > 0) rows.push(h('li', { class: 'more', role: 'presentation' }, `… ${more} more nodes: search to find one`));
      this.list.replaceChildren(...rows);
    }
    this.renderLinks(g);
  }

  private renderLinks(g: TopoGraph): void {
    const busiest = [...g.edges].sort((a, b) => b.bytesPerSec - a.bytesPerSec || b.opsPerSec - a.opsPerSec || b.channels - a.channels).slice(0, 12);
    const rows = busiest.map((e) => {
      const li = h(
        'li',
        {},
        h(
          'button',
          { class: 'link', type: 'button', title: `${plural(e.channels, 'channel')}: ${e.channelIds.slice(0, 5).map((x) => shortText(x, 80)).join(', ')}` },
          h('span', { class: 'name' }, `${this.labels.get(e.source) ?? '?'} ${edgeWords(e)} ${this.labels.get(e.target) ?? '?'}`),
          h('span', { class: 'meta' }, `${plural(e.channels, 'channel')} · ${rateText(e.bytesPerSec, e.opsPerSec)}`),
        ),
      );
      const b = li.firstElementChild as HTMLElement;
      b.dataset.edge = e.id;
      b.dataset.width = String(e.width);
      b.dataset.bytes = String(Math.round(e.bytesPerSec));
      b.dataset.channels = e.channelIds.join(' ');
      if (e.severity) b.dataset.severity = e.severity;
      return li;
    });
    this.links.replaceChildren(...rows);
  }

  /** Marks the selected option and fills the details pane. */
  showSelection(id: string | null, isEdge: boolean, focusedId: string | null): void {
    for (const [nid, li] of this.items) {
      li.setAttribute('aria-selected', String(nid === focusedId || nid === id));
    }
    const g = this.graph;
    if (!g || !id) {
      this.details.replaceChildren(h('p', { class: 'muted' }, 'Select a node or a link: click it, or focus the map and use the arrow keys. Enter opens the inspector; Space opens or closes a group.'));
      return;
    }
    if (isEdge) {
      const e = g.edges.find((x) => x.id === id);
      if (!e) return this.showSelection(null, false, focusedId);
      this.details.replaceChildren(
        h('h2', {}, `${this.labels.get(e.source) ?? '?'} ${edgeWords(e)} ${this.labels.get(e.target) ?? '?'}`),
        h('p', { class: 'muted' }, `${plural(e.channels, 'channel')} (${e.families.join(', ')}) · ${rateText(e.bytesPerSec, e.opsPerSec)}${e.severity ? ` · ${e.severity}` : ''}`),
        this.channelList(e.channelIds, e.channels),
      );
      return;
    }
    const n = g.nodes.find((x) => x.id === id);
    if (!n) return this.showSelection(null, false, focusedId);
    const parts: Child[] = [
      h('h2', {}, n.type === 'group' ? `${n.label} (${n.processes} processes)` : n.label),
      h('p', { class: 'muted' }, n.detail),
    ];
    if (n.problems.length) {
      parts.push(h('ul', { class: 'problems' }, ...n.problems.map((t) => h('li', { class: `sev-${n.severity ?? 'info'}` }, t))));
    }
    const buttons: HTMLElement[] = [];
    const btn = (label: string, act: string, title: string) => {
      const b = h('button', { type: 'button', title }, label);
      b.dataset.act = act;
      buttons.push(b);
    };
    if (n.type === 'process' && n.pid !== undefined) btn('Open in Inspector', 'inspect', 'Enter');
    if (n.type === 'group') {
      btn('Expand', 'toggle', 'Space');
      if (n.pid !== undefined) btn('Inspect root process', 'inspect', `process ${n.pid}`);
    }
    if (n.collapsible) btn('Collapse into group', 'collapse', 'Backspace');
    if (buttons.length) {
      const bar = h('div', { class: 'actions' }, ...buttons);
      bar.addEventListener('click', (ev) => {
        const b = (ev.target as HTMLElement).closest('button[data-act]') as HTMLElement | null;
        if (!b) return;
        if (b.dataset.act === 'inspect' && n.pid !== undefined) this.actions.inspectPid(n.pid);
        else if (b.dataset.act === 'toggle') this.actions.toggle(n.id);
        else if (b.dataset.act === 'collapse' && n.parentGroup) this.actions.toggle(n.parentGroup);
      });
      parts.push(bar);
    }
    if (n.channelIds.length) parts.push(this.channelList(n.channelIds, n.channels));
    this.details.replaceChildren(...parts.filter((x): x is Node => !!x && typeof x !== 'string'));
  }

  private channelList(ids: readonly string[], total: number): HTMLElement {
    const ul = h('ul', { class: 'channels' });
    for (const id of ids) {
      const b = h('button', { type: 'button', class: 'channel', title: 'Open in the inspector' }, shortText(id, 120));
      b.dataset.channel = id;
      ul.append(h('li', {}, b));
    }
    ul.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest('button[data-channel]') as HTMLElement | null;
      if (b?.dataset.channel) this.actions.inspectChannel(b.dataset.channel);
    });
    const wrap = h('div', {}, h('h3', {}, total > ids.length ? `Channels (${ids.length} of ${total})` : 'Channels'), ul);
    return wrap;
  }

  private onListKey(ev: KeyboardEvent): void {
    const cur = this.list.getAttribute('aria-activedescendant');
    const li = cur ? (this.list.querySelector(`#${CSS.escape(cur)}`) as HTMLLIElement | null) : null;
    let next: HTMLLIElement | null = null;
    if (ev.key === 'ArrowDown') next = (li?.nextElementSibling as HTMLLIElement | null) ?? (this.list.firstElementChild as HTMLLIElement | null);
    else if (ev.key === 'ArrowUp') next = (li?.previousElementSibling as HTMLLIElement | null) ?? (this.list.lastElementChild as HTMLLIElement | null);
    else if (ev.key === 'Home') next = this.list.firstElementChild as HTMLLIElement | null;
    else if (ev.key === 'End') next = this.list.lastElementChild as HTMLLIElement | null;
    else if (ev.key === 'Enter' && li?.dataset.id) {
      ev.preventDefault();
      this.actions.activate(li.dataset.id);
      return;
    } else if (ev.key === ' ' && li?.dataset.id) {
      ev.preventDefault();
      this.actions.toggle(li.dataset.id);
      return;
    } else return;
    ev.preventDefault();
    if (next?.dataset.id) this.actions.select(next.dataset.id);
  }

  /** Moves the listbox's active option (without stealing focus). */
  setActive(id: string | null): void {
    const li = id ? this.items.get(id) : undefined;
    if (li) {
      this.list.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    } else {
      this.list.removeAttribute('aria-activedescendant');
    }
  }
}
