// The inspector's "Problems" section: the diagnosis's problems about the inspected channel or
// process — the summary, what / why / what the kernel does next / the usual fix, the evidence
// with where each fact was read, the safe actions (run from the Problems view, with their
// confirmations) — and, for a blocked writer or a wait cycle, the chain drawn as a small inline
// SVG: process → channel → process (a cycle ends at the process it began with). Built with DOM
// APIs only; every name goes in as text through dom.ts (escaped: other users' names and paths);
// colours come from VS Code's theme variables (styles.css). A click on a process or channel of
// the chain asks the host to inspect it (validated there like every message).
import type { ProblemView } from '../src/webviews/inspector/protocol';
import { h, setText, shown } from './dom';
import { post } from './state';

const SVG = 'http://www.w3.org/2000/svg';
const NODE_W = 150;
const NODE_H = 34;
const GAP = 46;
const PAD = 6;
/** Characters of a label drawn in a node (the whole label is its <title> and the row below). */
const LABEL_CHARS = 22;

export const problemsSection = h('section', { id: 'problems', hidden: '' });
let last: ProblemView[] | undefined;

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, shown(v));
  return el;
}

function short(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}\u2026` : text;
}

/** The chain as an SVG: nodes left to right, arrows between; processes as boxes, channels as pills. */
export function chainSvg(chain: NonNullable<ProblemView['chain']>, severity: ProblemView['severity']): SVGSVGElement {
  const n = chain.length;
  const width = PAD * 2 + n * NODE_W + (n - 1) * GAP;
  const height = PAD * 2 + NODE_H;
  const svg = svgEl('svg', { class: `chain ${severity}`, viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height), role: 'img' });
  svg.setAttribute('aria-label', shown(chain.map((c) => c.label).join(' \u2192 ')));
  const defs = svgEl('defs', {});
  const marker = svgEl('marker', { id: `arrow-${severity}`, viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
  marker.append(svgEl('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }));
  defs.append(marker);
  svg.append(defs);
  chain.forEach((node, i) => {
    const x = PAD + i * (NODE_W + GAP);
    const y = PAD;
    const g = svgEl('g', { class: `node ${node.type}`, tabindex: '0', role: 'button' });
    const title = svgEl('title', {});
    setText(title, `${node.label} — click to inspect`);
    g.append(title);
    g.append(node.type === 'process' ? svgEl('rect', { x: String(x), y: String(y), width: String(NODE_W), height: String(NODE_H), rx: '3' }) : svgEl('rect', { x: String(x), y: String(y), width: String(NODE_W), height: String(NODE_H), rx: String(NODE_H / 2) }));
    const text = svgEl('text', { x: String(x + NODE_W / 2), y: String(y + NODE_H / 2 + 4), 'text-anchor': 'middle' });
    setText(text, short(node.label));
    g.append(text);
    const inspect = () => post(node.type === 'process' ? { type: 'inspect', pid: node.pid } : { type: 'inspect', channelId: node.id });
    g.addEventListener('click', inspect);
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') inspect();
    });
    svg.append(g);
    if (i < n - 1) {
      svg.append(svgEl('line', { x1: String(x + NODE_W), y1: String(y + NODE_H / 2), x2: String(x + NODE_W + GAP - 2), y2: String(y + NODE_H / 2), class: 'edge', 'marker-end': `url(#arrow-${severity})` }));
    }
  });
  return svg;
}

function problemEl(p: ProblemView): HTMLElement {
  const since = Date.parse(p.since);
  const head = h(
    'header',
    {},
    h('span', { class: `codicon codicon-${p.severity === 'info' ? 'info' : p.severity} sev ${p.severity}`, 'aria-hidden': 'true' }),
    h('strong', { class: 'problem-title' }, p.title),
  );
  const meta = h('div', { class: 'muted' }, `${p.severity} \u00b7 ${p.rule}${Number.isFinite(since) ? ` \u00b7 since ${new Date(since).toLocaleTimeString()}` : ''}`);
  const parts: HTMLElement[] = [head, meta];
  if (p.chain?.length) {
    parts.push(h('div', { class: 'chain-box' }, chainSvg(p.chain, p.severity)));
    parts.push(h('div', { class: 'muted chain-text' }, p.chain.map((c) => c.label).join(' \u2192 ')));
  }
  const dl = h('dl', { class: 'explain' });
  for (const [k, v] of [
    ['What', p.explanation.what],
    ['Why', p.explanation.why],
    ['Next', p.explanation.next],
    ['Fix', p.explanation.fix],
  ] as const) {
    if (v) dl.append(h('dt', {}, k), h('dd', {}, v));
  }
  parts.push(dl);
  if (p.evidence.length) {
    parts.push(
      h(
        'table',
        { class: 'grid evidence' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Evidence'), h('th', { scope: 'col' }, 'Fact'), h('th', { scope: 'col' }, 'Read from'))),
        h('tbody', {}, ...p.evidence.map((e) => h('tr', {}, h('th', { scope: 'row' }, e.label), h('td', {}, e.text), h('td', { class: 'muted mono' }, e.source)))),
      ),
    );
  }
  if (p.actions.length) parts.push(h('div', { class: 'muted' }, `Safe actions (in the Problems view): ${p.actions.join('; ')}`));
  return h('article', { class: `problem ${p.severity}`, 'data-id': p.id }, ...parts);
}

export function renderProblems(problems: ProblemView[] | undefined): void {
  last = problems;
  problemsSection.hidden = !problems || problems.length === 0;
  if (!problems?.length) {
    problemsSection.replaceChildren();
    return;
  }
  problemsSection.replaceChildren(h('h2', {}, `Problems (${problems.length})`), ...problems.map(problemEl));
}

/** What it shows, as text lines (the extension tests read the panel through these). */
export function problemTexts(): string[] {
  if (!last?.length) return [];
  const out: string[] = [];
  for (const a of problemsSection.querySelectorAll('article.problem')) {
    out.push(`problem:${a.className.replace('problem ', '')}:${a.querySelector('.problem-title')?.textContent ?? ''}`);
    for (const tr of a.querySelectorAll('table.evidence tbody tr')) out.push(`problemEvidence:${tr.querySelector('th')?.textContent ?? ''}=${tr.querySelector('td')?.textContent ?? ''}`);
    const svg = a.querySelector('svg.chain');
    if (svg) out.push(`chain:${[...svg.querySelectorAll('g.node')].map((g) => `${g.classList.contains('process') ? 'process' : 'channel'}:${g.querySelector('title')?.textContent?.replace(/ — click to inspect$/, '') ?? ''}`).join(' -> ')}`);
  }
  return out;
}
