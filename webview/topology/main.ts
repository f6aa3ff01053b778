// The topology map's page: forwards the host's data to the worker (which aggregates and lays out),
// draws what comes back on a canvas, and turns pointer and keyboard input into selection,
// expansion and "open the inspector" requests to the host. Everything a process controls is drawn
// with fillText (labels escaped in core: shortText) or set as text through dom.ts (escaped); the
// host validates every request.
import { DEFAULT_BUDGET } from '../../src/core/topology/hierarchy';
import { rateText } from '../../src/core/topology/graph';
import { problemsHelp, problemsText } from '../../src/core/topology/problemCounts';
import type { GroupBy, TopoGraph, TopoNode } from '../../src/core/topology/types';
import { isHostMessage, type HostMessage, type WebviewMessage } from '../../src/webviews/topology/protocol';
import { Camera } from './camera';
import { Picker } from './picking';
import { Renderer, type DrawState } from './renderer';
import { nodeSummary, SidePanel } from './sidePanel';
import { h, setText, shown } from '../dom';
import { readTheme, watchTheme } from './theme';
import type { FromWorker, ToWorker, ViewRequest } from './workerProtocol';
import css from './styles.css';
import { acquireApi } from '../vscodeApi';
import { plural } from '../../src/core/text';

declare const __TOPOLOGY_WORKER__: string;

const vscode = acquireApi<WebviewMessage>();

// ---------------------------------------------------------------------------------------------
// State kept across hide/show and reloads (getState is our own data, but checked anyway)
// ---------------------------------------------------------------------------------------------

interface SavedState {
  groupBy: GroupBy;
  expanded: string[];
  collapsed: string[];
  search: string;
}

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length <= 600).slice(0, 2000) : []);

function loadState(): SavedState {
  const s = (vscode.getState() ?? {}) as Partial<Record<keyof SavedState, unknown>>;
  return {
    groupBy: s.groupBy === 'container' ? 'container' : 'tree',
    expanded: ids(s.expanded),
    collapsed: ids(s.collapsed),
    search: typeof s.search === 'string' ? s.search.slice(0, 200) : '',
  };
}
const saved = loadState();
const expanded = new Set(saved.expanded);
const collapsed = new Set(saved.collapsed);
let groupBy: GroupBy = saved.groupBy;
let search = saved.search;
const save = () => vscode.setState({ groupBy, expanded: [...expanded], collapsed: [...collapsed], search } satisfies SavedState);

// ---------------------------------------------------------------------------------------------
// DOM
// ---------------------------------------------------------------------------------------------

const sheet = new CSSStyleSheet();
sheet.replaceSync(css);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

const groupSelect = h('select', { id: 'groupBy', 'aria-label': 'Group processes by' }, h('option', { value: 'tree' }, 'Process tree'), h('option', { value: 'container' }, 'Container'));
groupSelect.value = groupBy;
const searchInput = h('input', { id: 'search', type: 'search', placeholder: 'Search: name, pid, path, :port, key', 'aria-label': 'Search the map', spellcheck: 'false' });
searchInput.value = search;
const matchesLabel = h('span', { id: 'matches', class: 'muted', 'aria-live': 'polite' });
const iconButton = (id: string, icon: string, title: string) => {
  const b = h('button', { id, type: 'button', class: 'icon', title, 'aria-label': title }, h('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }));
  return b;
};
const fitButton = iconButton('fit', 'screen-full', 'Fit the map to the view (0)');
const collapseAllButton = iconButton('collapseAll', 'collapse-all', 'Collapse all groups');
const relayoutButton = iconButton('relayout', 'refresh', 'Lay out again');
const toolbar = h(
  'div',
  { class: 'toolbar', role: 'toolbar', 'aria-label': 'Map controls' },
  h('label', { for: 'groupBy' }, 'Group by'),
  groupSelect,
  searchInput,
  matchesLabel,
  h('span', { class: 'spacer' }),
  fitButton,
  collapseAllButton,
  relayoutButton,
);
const status = h('div', { id: 'status', class: 'status' });
const canvas = h('canvas', {
  id: 'map',
  tabindex: '0',
  role: 'application',
  'aria-roledescription': 'topology map',
  'aria-label': 'IPC topology map. Arrow keys move between nodes, Enter opens the inspector or expands a group, Space opens or closes a group, plus and minus zoom, 0 fits.',
});
const tooltip = h('div', { id: 'tooltip', class: 'tooltip', role: 'tooltip', hidden: '' });
const empty = h('div', { id: 'empty', class: 'empty' }, 'Waiting for the first snapshot…');
const wrap = h('div', { class: 'canvas-wrap' }, canvas, tooltip, empty);
const details = h('section', { id: 'details', class: 'details', 'aria-label': 'Selection' });
const links = h('ol', { id: 'links', class: 'links' });
const nodeList = h('ul', { id: 'nodes', class: 'nodes', role: 'listbox', tabindex: '0', 'aria-label': 'Nodes of the map' });
const legend = h(
  'div',
  { class: 'legend', 'aria-label': 'Legend' },
  ...(['pipe', 'socket', 'queue', 'shm', 'sem'] as const).map((f) => h('span', { class: `fam fam-${f}` }, { pipe: 'pipes/FIFOs', socket: 'sockets', queue: 'queues', shm: 'shared memory', sem: 'semaphores' }[f])),
  h('span', { class: 'muted', id: 'rateNote' }, 'edge width: bytes/s'),
  // the rings renderer.ts draws around nodes, in the colours it reads (theme.ts): a node's worst
  // problem (its links take the same colour), and, while searching, a match
  h(
    'span',
    { class: 'rings', id: 'ringLegend', title: 'A ring around a node is the worst problem about it (its links take the same colour); the Problems view lists them' },
    'problem ring:',
    ...(['error', 'warning', 'info'] as const).map((s) => h('span', { class: `ring ring-${s}`, 'data-severity': s }, s)),
  ),
  h('span', { class: 'ring ring-match', title: 'While searching, a dashed ring marks what the search found; the rest is dimmed' }, 'search match'),
);
const side = h(
  'aside',
  { class: 'side' },
  details,
  h('h2', {}, 'Busiest links'),
  links,
  h('h2', {}, 'Nodes'),
  nodeList,
);
const announce = h('div', { id: 'announce', class: 'sr-only', 'aria-live': 'polite' });
const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
app.replaceChildren(toolbar, status, h('div', { class: 'body' }, wrap, side), legend, announce);

// ---------------------------------------------------------------------------------------------
// Worker, renderer, state
// ---------------------------------------------------------------------------------------------

const worker = new Worker(URL.createObjectURL(new Blob([__TOPOLOGY_WORKER__], { type: 'text/javascript' })));
const toWorker = (m: ToWorker) => worker.postMessage(m);
let theme = readTheme();
const renderer = new Renderer(canvas, theme);
const camera = new Camera();
const picker = new Picker();
let graph: TopoGraph | null = null;
let seq = 0;
let selected: string | null = null;
let selectedIsEdge = false;
let focused: string | null = null;
let hover: string | null = null;
const hostNotes = { filter: '', problems: '', rates: 'rates estimated from queue depths between snapshots (no tracer)', paused: false };
const perf = { graphs: 0, lastBuildMs: 0, graphAt: 0, settledAt: 0, settleMs: 0, tickMs: 0, ticks: 0, positions: 0 };

const side$ = new SidePanel(details, links, nodeList, {
  select: (id, edge) => select(id, !!edge, true),
  activate: (id) => activate(id),
  toggle: (id) => toggle(id),
  inspectChannel: (id) => vscode.postMessage({ type: 'inspect', channelId: id }),
  inspectPid: (pid) => vscode.postMessage({ type: 'inspect', pid }),
});

const drawState = (): DrawState => ({ selected: selectedIsEdge ? null : selected, focused, hover, searching: search.trim() !== '' });

function sendView(): void {
  const v: ViewRequest = { groupBy, expanded: [...expanded], collapsed: [...collapsed], search, budget: DEFAULT_BUDGET };
  toWorker({ type: 'view', view: v });
  save();
}

let frame = 0;
function requestDraw(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderer.draw(camera, drawState());
  });
}

function resize(): void {
  const r = wrap.getBoundingClientRect();
  camera.w = Math.max(1, r.width);
  camera.h = Math.max(1, r.height);
  renderer.resize(camera.w, camera.h);
  if (!camera.touched) camera.fit(renderer.positions);
  requestDraw();
}
new ResizeObserver(resize).observe(wrap);
watchTheme(() => {
  theme = readTheme();
  renderer.setTheme(theme, drawState());
  requestDraw();
});

function nodeById(id: string | null): TopoNode | undefined {
  if (!graph || !id) return undefined;
  const i = renderer.nodeIndex.get(id);
  return i === undefined ? undefined : graph.nodes[i];
}

function updateStatus(): void {
  const g = graph;
  const parts: string[] = [];
  if (hostNotes.paused) parts.push('Paused');
  if (g) {
    parts.push(`${g.totals.processes} processes · ${g.totals.shownChannels} of ${g.totals.channels} channels · ${g.nodes.length} nodes, ${g.edges.length} links drawn`);
    // counted as the Problems view lists them (all severities, the same filter), not only what is drawn
    const problems = problemsText(g.totals);
    if (problems) parts.push(problems);
  }
  if (hostNotes.filter) parts.push(`Filter: ${hostNotes.filter}`);
  setText(status, parts.join(' · '));
  status.title = [g ? problemsHelp(g.totals) : '', hostNotes.problems, hostNotes.rates].filter(Boolean).map(shown).join('\n');
  const note = document.getElementById('rateNote');
  if (note) note.textContent = g && g.rateSources.tracer > 0 ? 'edge width: bytes/s (measured by the tracer)' : 'edge width: bytes/s (estimated from queue depths)';
  matchesLabel.textContent = search.trim() && g ? plural(g.matches, 'match', 'matches') : '';
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  if (m.type === 'graph') {
    seq = m.seq;
    graph = m.graph;
    perf.graphs++;
    perf.lastBuildMs = m.buildMs;
    perf.graphAt = performance.now();
    perf.settledAt = 0;
    perf.tickMs = 0;
    hostNotes.paused = m.paused;
    renderer.setGraph(m.graph, drawState());
    side$.setGraph(m.graph);
    if (selected && !(selectedIsEdge ? m.graph.edges.some((e) => e.id === selected) : renderer.nodeIndex.has(selected))) selected = null;
    if (focused && !renderer.nodeIndex.has(focused)) focused = null;
    side$.showSelection(selected, selectedIsEdge, focused);
    empty.hidden = m.graph.nodes.length > 0;
    if (!m.graph.nodes.length) empty.textContent = m.graph.totals.channels ? 'Nothing matches the filter.' : 'No channels in the snapshot.';
    updateStatus();
    requestDraw();
  } else if (m.type === 'positions') {
    if (m.seq !== seq || !graph) return;
    perf.positions++;
    perf.tickMs += m.tickMs;
    perf.ticks = m.ticks;
    if (m.settled && !perf.settledAt) {
      perf.settledAt = performance.now();
      perf.settleMs = perf.settledAt - perf.graphAt;
    }
    renderer.setPositions(m.xy);
    picker.rebuild(m.xy, renderer.nodeRadii);
    if (!camera.touched) camera.fit(m.xy);
    requestDraw();
  } else if (m.type === 'error') {
    setText(status, `The map failed: ${m.message}`);
  }
};

window.addEventListener('message', (ev: MessageEvent) => {
  const msg: unknown = ev.data;
  if (!isHostMessage(msg)) return;
  onHost(msg);
});

function onHost(msg: HostMessage): void {
  switch (msg.type) {
    case 'init':
      return;
    case 'filter':
      hostNotes.filter = msg.description;
      updateStatus();
      break;
    case 'problems':
      hostNotes.problems = msg.note;
      break;
    case 'rates':
      hostNotes.rates = msg.note;
      break;
    case 'paused':
      hostNotes.paused = msg.paused;
      updateStatus();
      break;
    case 'full':
      if (msg.part === 0) empty.textContent = 'Laying out…';
      break;
    default:
      break;
  }
  toWorker({ type: 'host', msg });
}

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

function select(id: string | null, edge = false, fromList = false): void {
  selected = id;
  selectedIsEdge = edge;
  if (!edge) {
    focused = id;
    if (id) {
      const n = nodeById(id);
      if (n) {
        setText(announce, nodeSummary(n));
        const i = renderer.nodeIndex.get(id)!;
        if (camera.touched || fromList) camera.ensureVisible(renderer.positions[2 * i], renderer.positions[2 * i + 1]);
      }
    }
  }
  side$.showSelection(selected, selectedIsEdge, focused);
  side$.setActive(edge ? null : id);
  requestDraw();
}

/** Enter / click: open the inspector on a process or a single object; expand a group. */
function activate(id: string): void {
  const n = nodeById(id);
  if (!n) return;
  select(id);
  if (n.type === 'process' && n.pid !== undefined) vscode.postMessage({ type: 'inspect', pid: n.pid });
  else if (n.type === 'group') toggle(id);
  else if (n.channelIds.length === 1) vscode.postMessage({ type: 'inspect', channelId: n.channelIds[0] });
}

/** Space: open a group; on anything inside an open group, close that group. */
function toggle(id: string): void {
  const n = nodeById(id);
  if (!n) {
    // a group id from the details pane ("Collapse into group")
    expanded.delete(id);
    collapsed.add(id);
  } else if (n.type === 'group') {
    collapsed.delete(id);
    expanded.add(id);
    setText(announce, `Expanding ${n.label}`);
  } else if (n.parentGroup) {
    expanded.delete(n.parentGroup);
    collapsed.add(n.parentGroup);
    focused = selected = n.parentGroup;
    announce.textContent = 'Collapsed into its group';
  } else {
    return;
  }
  sendView();
}

function collapseAll(): void {
  if (!graph) return;
  for (const n of graph.nodes) if (n.parentGroup) collapsed.add(n.parentGroup);
  expanded.clear();
  sendView();
}

// ---------------------------------------------------------------------------------------------
// Input: pointer
// ---------------------------------------------------------------------------------------------

function pickAt(sx: number, sy: number): { node: number; edge: number } {
  if (!graph) return { node: -1, edge: -1 };
  const [wx, wy] = camera.toWorld(sx, sy);
  const xy = renderer.positions;
  const node = picker.node(xy, wx, wy, 3 / camera.k);
  if (node >= 0) return { node, edge: -1 };
  return { node: -1, edge: picker.edge(graph, renderer.nodeIndex, xy, wx, wy, 4 / camera.k, 1 / camera.k) };
}

let drag: { id: string | null; sx: number; sy: number; moved: boolean; pointer: number } | null = null;
canvas.addEventListener('pointerdown', (ev) => {
  const r = canvas.getBoundingClientRect();
  const sx = ev.clientX - r.left;
  const sy = ev.clientY - r.top;
  const p = pickAt(sx, sy);
  drag = { id: p.node >= 0 ? graph!.nodes[p.node].id : null, sx, sy, moved: false, pointer: ev.pointerId };
  canvas.setPointerCapture(ev.pointerId);
});
canvas.addEventListener('pointermove', (ev) => {
  const r = canvas.getBoundingClientRect();
  const sx = ev.clientX - r.left;
  const sy = ev.clientY - r.top;
  if (drag && drag.pointer === ev.pointerId) {
    const dx = sx - drag.sx;
    const dy = sy - drag.sy;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    camera.touched = true;
    if (drag.id) {
      const [wx, wy] = camera.toWorld(sx, sy);
      const i = renderer.nodeIndex.get(drag.id);
      if (i !== undefined) {
        renderer.positions[2 * i] = wx;
        renderer.positions[2 * i + 1] = wy;
      }
      toWorker({ type: 'drag', id: drag.id, x: wx, y: wy });
    } else {
      camera.pan(dx, dy);
      drag.sx = sx;
      drag.sy = sy;
    }
    hideTooltip();
    requestDraw();
    return;
  }
  const p = pickAt(sx, sy);
  const id = p.node >= 0 ? graph!.nodes[p.node].id : null;
  if (id !== hover) {
    hover = id;
    requestDraw();
  }
  if (p.node >= 0) showTooltip(sx, sy, tooltipLines(graph!.nodes[p.node]));
  else if (p.edge >= 0) {
    const e = graph!.edges[p.edge];
    showTooltip(sx, sy, [`${nodeById(e.source)?.label ?? '?'} — ${nodeById(e.target)?.label ?? '?'}`, `${plural(e.channels, 'channel')} · ${e.families.join(', ')}`, rateWords(e.bytesPerSec, e.opsPerSec)]);
  } else hideTooltip();
});
canvas.addEventListener('pointerup', (ev) => {
  const d = drag;
  drag = null;
  if (!d || d.pointer !== ev.pointerId) return;
  canvas.releasePointerCapture(ev.pointerId);
  if (d.moved) return;
  const p = pickAt(d.sx, d.sy);
  canvas.focus({ preventScroll: true });
  if (p.node >= 0) activate(graph!.nodes[p.node].id);
  else if (p.edge >= 0) {
    const e = graph!.edges[p.edge];
    select(e.id, true);
    if (e.channels === 1 && e.channelIds.length === 1) vscode.postMessage({ type: 'inspect', channelId: e.channelIds[0] });
  } else select(null);
});
canvas.addEventListener('pointerleave', () => {
  hover = null;
  hideTooltip();
  requestDraw();
});
canvas.addEventListener(
  'wheel',
  (ev) => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    camera.touched = true;
    camera.zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015)));
    hideTooltip();
    requestDraw();
  },
  { passive: false },
);

/** A link's rate as the busiest links say it (rateText: `1.2 KiB/s`, `< 1 byte/s`), or why it has none. */
function rateWords(b: number, o: number): string {
  return b > 0 || o > 0 ? rateText(b, o) : 'idle (no queue change seen)';
}

function tooltipLines(n: TopoNode): string[] {
  const lines = [n.type === 'group' ? `${n.label} — ${n.processes} processes` : n.label, n.detail];
  for (const p of n.problems) lines.push(`⚠ ${p}`);
  lines.push(n.type === 'process' ? 'Click or Enter: open in the inspector' : n.type === 'group' ? 'Click or Enter: expand' : n.channelIds.length === 1 ? 'Click: open in the inspector' : 'Click: list its channels');
  return lines;
}

function showTooltip(sx: number, sy: number, lines: string[]): void {
  tooltip.replaceChildren(...lines.map((l, i) => h('div', { class: i === 0 ? 'title' : '' }, l)));
  tooltip.hidden = false;
  const w = tooltip.offsetWidth;
  const x = Math.min(sx + 14, camera.w - w - 4);
  tooltip.style.left = `${Math.max(4, x)}px`;
  tooltip.style.top = `${Math.min(sy + 14, camera.h - tooltip.offsetHeight - 4)}px`;
}

function hideTooltip(): void {
  tooltip.hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Input: keyboard
// ---------------------------------------------------------------------------------------------

/** The nearest node from the focused one in a direction (arrow keys). */
function neighbourInDirection(dx: number, dy: number): string | null {
  if (!graph || !graph.nodes.length) return null;
  const xy = renderer.positions;
  const from = focused ? renderer.nodeIndex.get(focused) : undefined;
  if (from === undefined) return graph.nodes[0].id;
  const fx = xy[2 * from];
  const fy = xy[2 * from + 1];
  let best = -1;
  let bestScore = Infinity;
  for (let i = 0; i < graph.nodes.length; i++) {
    if (i === from) continue;
    const vx = xy[2 * i] - fx;
    const vy = xy[2 * i + 1] - fy;
    const along = vx * dx + vy * dy;
    if (along <= 0) continue;
    const across = Math.abs(vx * dy - vy * dx);
    const score = along + 2 * across;
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best >= 0 ? graph.nodes[best].id : null;
}

canvas.addEventListener('keydown', (ev) => {
  const dirs: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (dirs[ev.key]) {
    ev.preventDefault();
    const next = neighbourInDirection(...dirs[ev.key]);
    if (next) {
      select(next);
      const i = renderer.nodeIndex.get(next)!;
      camera.ensureVisible(renderer.positions[2 * i], renderer.positions[2 * i + 1]);
    }
    return;
  }
  switch (ev.key) {
    case 'Enter':
      if (focused) activate(focused);
      break;
    case ' ':
      if (focused) toggle(focused);
      break;
    case 'Backspace':
    case 'Delete': {
      const n = nodeById(focused);
      if (n?.parentGroup) toggle(n.id);
      break;
    }
    case 'Escape':
      select(null);
      break;
    case 'Home':
      if (graph?.nodes.length) select(nodeList.firstElementChild instanceof HTMLElement ? nodeList.firstElementChild.dataset.id ?? graph.nodes[0].id : graph.nodes[0].id, false, true);
      break;
    case '+':
    case '=':
      camera.touched = true;
      camera.zoomAt(camera.w / 2, camera.h / 2, 1.25);
      break;
    case '-':
      camera.touched = true;
      camera.zoomAt(camera.w / 2, camera.h / 2, 0.8);
      break;
    case '0':
      camera.touched = false;
      camera.fit(renderer.positions);
      break;
    case '/':
      searchInput.focus();
      break;
    default:
      return;
  }
  ev.preventDefault();
  requestDraw();
});

// ---------------------------------------------------------------------------------------------
// Toolbar
// ---------------------------------------------------------------------------------------------

groupSelect.addEventListener('change', () => {
  groupBy = groupSelect.value === 'container' ? 'container' : 'tree';
  sendView();
});
let searchTimer: ReturnType<typeof setTimeout> | undefined;
searchInput.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    search = searchInput.value.slice(0, 200);
    renderer.bucket(drawState());
    sendView();
  }, 150);
});
searchInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && graph) {
    const first = graph.nodes.find((n) => n.match);
    if (first) {
      select(first.id, false, true);
      canvas.focus();
    }
  } else if (ev.key === 'Escape') {
    searchInput.value = '';
    search = '';
    sendView();
  }
});
fitButton.addEventListener('click', () => {
  camera.touched = false;
  camera.fit(renderer.positions);
  requestDraw();
});
collapseAllButton.addEventListener('click', collapseAll);
relayoutButton.addEventListener('click', () => {
  camera.touched = false;
  toWorker({ type: 'relayout' });
});

/** Numbers for the benchmark and the e2e test (read through the page, never sent to the host). */
(window as unknown as { __topology: unknown }).__topology = {
  perf: () => ({ ...perf, frames: renderer.stats.frames, drawMs: [...renderer.stats.drawMs], labels: renderer.stats.labels, nodes: graph?.nodes.length ?? 0, edges: graph?.edges.length ?? 0 }),
  graph: () => graph,
  positions: () => Array.from(renderer.positions),
  /** The colours the canvas draws with (the legend's must be the same). */
  theme: () => ({ ...theme }),
  camera: () => ({ x: camera.x, y: camera.y, k: camera.k, w: camera.w, h: camera.h }),
  /** Screen position (CSS px within the canvas) of a node, for clicking it like a person. */
  screenOf: (id: string) => {
    const i = renderer.nodeIndex.get(id);
    if (i === undefined) return null;
    return { x: camera.toScreenX(renderer.positions[2 * i]), y: camera.toScreenY(renderer.positions[2 * i + 1]), r: renderer.nodeRadii[i] * camera.k };
  },
  zoom: (factor: number) => {
    camera.touched = true;
    camera.zoomAt(camera.w / 2, camera.h / 2, factor);
    requestDraw();
  },
  pan: (dx: number, dy: number) => {
    camera.touched = true;
    camera.pan(dx, dy);
    requestDraw();
  },
  expandAll: () => {
    if (!graph) return;
    for (const n of graph.nodes) if (n.type === 'group') expanded.add(n.id);
    collapsed.clear();
    sendView();
  },
};

sendView();
side$.showSelection(null, false, null);
updateStatus();
resize();
vscode.postMessage({ type: 'ready' });
