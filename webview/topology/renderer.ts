// Draws the map on a 2D canvas: edges batched into one path per colour and width (thousands of
// edges cost a handful of strokes), nodes batched per shape and colour, and labels with level of
// detail — only nodes big enough on screen (or selected, focused, matched, in trouble) get one, at
// most MAX_LABELS per frame, none over another label or node (labelPlacement.ts). Edge widths are screen pixels at every zoom, so the
// rate stays readable. Text is drawn with fillText: nothing here is HTML.
import type { TopoEdge, TopoGraph, TopoNode } from '../../src/core/topology/types';
import type { Camera } from './camera';
import { radius } from './geometry';
import type { Theme } from './theme';
import { LabelSpace, type Circle } from './labelPlacement';

const MAX_LABELS = 250;

export interface DrawState {
  selected: string | null;
  focused: string | null;
  hover: string | null;
  /** The search is active: what it did not match is dimmed. */
  searching: boolean;
}

export interface FrameStats {
  /** Milliseconds of the last draws (newest last). */
  drawMs: number[];
  frames: number;
  labels: number;
}

interface Bucket {
  color: string;
  width: number;
  alpha: number;
  edges: number[];
}

export class Renderer {
  private readonly ctx: CanvasRenderingContext2D;
  private graph: TopoGraph | null = null;
  private xy: Float32Array = new Float32Array(0);
  private index = new Map<string, number>();
  private radii: Float32Array = new Float32Array(0);
  private buckets: Bucket[] = [];
  private dpr = 1;
  readonly stats: FrameStats = { drawMs: [], frames: 0, labels: 0 };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private theme: Theme,
  ) {
    const ctx = canvas.getContext('2d', { alpha: true });
    if (!ctx) throw new Error('no 2D canvas');
    this.ctx = ctx;
  }

  setTheme(t: Theme, state: DrawState): void {
    this.theme = t;
    if (this.graph) this.bucket(state);
  }

  setGraph(g: TopoGraph, state: DrawState): void {
    this.graph = g;
    this.index = new Map(g.nodes.map((n, i) => [n.id, i]));
    this.radii = new Float32Array(g.nodes.map((n) => radius(n)));
    if (this.xy.length !== g.nodes.length * 2) this.xy = new Float32Array(g.nodes.length * 2);
    this.bucket(state);
  }

  /** Groups edges by how they are stroked (done per graph or search change, not per frame). */
  bucket(state: DrawState): void {
    const g = this.graph!;
    const map = new Map<string, Bucket>();
    g.edges.forEach((e, i) => {
      const color = e.severity ? this.theme.severity[e.severity] : this.theme.family[e.families[0] ?? 'pipe'];
      const width = Math.round(e.width * 2) / 2;
      const alpha = state.searching && !e.match ? 0.15 : e.severity ? 0.95 : 0.7;
      const key = `${color}|${width}|${alpha}`;
      let b = map.get(key);
      if (!b) map.set(key, (b = { color, width, alpha, edges: [] }));
      b.edges.push(i);
    });
    // thin first, problems last (on top)
    this.buckets = [...map.values()].sort((a, b) => a.width - b.width || (a.alpha > b.alpha ? 1 : -1));
  }

  setPositions(xy: Float32Array): void {
    this.xy = xy;
  }

  get positions(): Float32Array {
    return this.xy;
  }

  get nodeIndex(): ReadonlyMap<string, number> {
    return this.index;
  }

  get nodeRadii(): Float32Array {
    return this.radii;
  }

  resize(w: number, h: number): void {
    this.dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(w * this.dpr));
    this.canvas.height = Math.max(1, Math.round(h * this.dpr));
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
  }

  draw(cam: Camera, state: DrawState): void {
    const t0 = performance.now();
    const ctx = this.ctx;
    const g = this.graph;
    const dpr = this.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!g || this.xy.length < g.nodes.length * 2) return this.done(t0, 0);
    const xy = this.xy;
    const k = cam.k;
    // world → device pixels
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * (cam.w / 2 - cam.x * k), dpr * (cam.h / 2 - cam.y * k));
    const [vx0, vy0] = cam.toWorld(-20, -20);
    const [vx1, vy1] = cam.toWorld(cam.w + 20, cam.h + 20);
    const outside = (ax: number, ay: number, bx: number, by: number) =>
      (ax < vx0 && bx < vx0) || (ax > vx1 && bx > vx1) || (ay < vy0 && by < vy0) || (ay > vy1 && by > vy1);

    // edges
    ctx.lineCap = g.edges.length > 2000 ? 'butt' : 'round';
    for (const b of this.buckets) {
      ctx.beginPath();
      for (const i of b.edges) {
        const e = g.edges[i];
        const s = this.index.get(e.source)!;
        const t = this.index.get(e.target)!;
        const ax = xy[2 * s];
        const ay = xy[2 * s + 1];
        const bx = xy[2 * t];
        const by = xy[2 * t + 1];
        if (outside(ax, ay, bx, by)) continue;
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
      }
      ctx.globalAlpha = b.alpha;
      ctx.strokeStyle = b.color;
      ctx.lineWidth = b.width / k;
      ctx.stroke();
    }
    // direction of pipes (one-way edges), when it can be seen
    if (k > 0.35 && g.edges.length < 4000) {
      ctx.globalAlpha = 0.9;
      ctx.fillStyle = this.theme.fg;
      ctx.beginPath();
      for (const e of g.edges) if (e.forward !== e.backward) this.arrow(e, k);
      ctx.fill();
    }

    // nodes, batched per look: processes and groups as tinted shapes with a solid outline, shared
    // objects solid; a node only a few pixels wide is a plain square (anti-aliased arcs cost far
    // more to rasterise, and cannot be told apart at that size anyway)
    const dim = (n: TopoNode) => state.searching && !n.match;
    const looks = new Map<string, { color: string; solid: boolean; dim: boolean; list: number[] }>();
    g.nodes.forEach((n, i) => {
      const x = xy[2 * i];
      const y = xy[2 * i + 1];
      const r = this.radii[i];
      if (x + r < vx0 || x - r > vx1 || y + r < vy0 || y - r > vy1) return;
      const color = this.fill(n);
      const solid = n.type === 'object' || n.type === 'unheld' || r * k < 2.5;
      const d = dim(n);
      const key = `${color}|${solid}|${d}`;
      let look = looks.get(key);
      if (!look) looks.set(key, (look = { color, solid, dim: d, list: [] }));
      look.list.push(i);
    });
    for (const look of looks.values()) {
      ctx.beginPath();
      for (const i of look.list) {
        const r = this.radii[i];
        if (r * k < 2.5) ctx.rect(xy[2 * i] - r, xy[2 * i + 1] - r, 2 * r, 2 * r);
        else this.shape(g.nodes[i], xy[2 * i], xy[2 * i + 1], r);
      }
      const base = look.dim ? 0.25 : 1;
      if (!look.solid) {
        // opaque underneath, so edges end at the outline instead of showing through the tint
        ctx.globalAlpha = 1;
        ctx.fillStyle = this.theme.bg;
        ctx.fill();
      }
      ctx.fillStyle = look.color;
      ctx.globalAlpha = base * (look.solid ? 0.9 : 0.3);
      ctx.fill();
      if (!look.solid) {
        ctx.globalAlpha = base;
        ctx.strokeStyle = look.color;
        ctx.lineWidth = 1.5 / k;
        ctx.stroke();
      }
    }
    // outlines: unheld (dashed), problems (severity ring), matches, selection, focus, hover
    ctx.globalAlpha = 1;
    g.nodes.forEach((n, i) => {
      const x = xy[2 * i];
      const y = xy[2 * i + 1];
      const r = this.radii[i];
      if (x + r + 10 < vx0 || x - r - 10 > vx1 || y + r + 10 < vy0 || y - r - 10 > vy1) return;
      if (n.severity) this.ring(n, x, y, r + 2.5 / k, this.theme.severity[n.severity], 3 / k);
      if (state.searching && n.match) this.ring(n, x, y, r + 6 / k, this.theme.focus, 1.5 / k, [3 / k, 2 / k]);
      if (n.type === 'unheld') this.ring(n, x, y, r, this.theme.muted, 1.5 / k, [3 / k, 3 / k]);
      if (n.id === state.selected) this.ring(n, x, y, r + 5 / k, this.theme.fg, 2 / k);
      if (n.id === state.focused) this.ring(n, x, y, r + 8 / k, this.theme.focus, 2 / k);
      else if (n.id === state.hover) this.ring(n, x, y, r + 4 / k, this.theme.muted, 1.5 / k);
    });
    // group counts inside the square
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const labels = this.labels(cam, state);
    this.done(t0, labels);
  }

  private done(t0: number, labels: number): void {
    const s = this.stats;
    s.frames++;
    s.labels = labels;
    s.drawMs.push(performance.now() - t0);
    if (s.drawMs.length > 240) s.drawMs.splice(0, s.drawMs.length - 240);
  }

  private fill(n: TopoNode): string {
    switch (n.type) {
      case 'process':
        return this.theme.process;
      case 'group':
        return this.theme.group;
      case 'object':
        return this.theme.family[n.family ?? 'shm'];
      case 'unheld':
        return this.theme.muted;
    }
  }

  private shape(n: TopoNode, x: number, y: number, r: number): void {
    const ctx = this.ctx;
    switch (n.type) {
      case 'process':
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, Math.PI * 2);
        return;
      case 'group': {
        const s = r * 0.9;
        ctx.roundRect(x - s, y - s, 2 * s, 2 * s, s * 0.35);
        return;
      }
      default:
        ctx.moveTo(x, y - r);
        ctx.lineTo(x + r, y);
        ctx.lineTo(x, y + r);
        ctx.lineTo(x - r, y);
        ctx.closePath();
    }
  }

  private ring(n: TopoNode, x: number, y: number, r: number, color: string, width: number, dash?: number[]): void {
    const ctx = this.ctx;
    ctx.beginPath();
    this.shape(n, x, y, r);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.setLineDash(dash ?? []);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  private arrow(e: TopoEdge, k: number): void {
    const s = this.index.get(e.source)!;
    const t = this.index.get(e.target)!;
    let ax = this.xy[2 * s];
    let ay = this.xy[2 * s + 1];
    let bx = this.xy[2 * t];
    let by = this.xy[2 * t + 1];
    if (e.backward) [ax, ay, bx, by] = [bx, by, ax, ay];
    const dx = bx - ax;
    const dy = by - ay;
    const len = Math.sqrt(dx * dx + dy * dy) || 1;
    const ux = dx / len;
    const uy = dy / len;
    const mx = ax + dx * 0.55;
    const my = ay + dy * 0.55;
    const size = (3 + 0.6 * e.width) / k;
    this.ctx.moveTo(mx + ux * size, my + uy * size);
    this.ctx.lineTo(mx - ux * size - uy * size * 0.7, my - uy * size + ux * size * 0.7);
    this.ctx.lineTo(mx - ux * size + uy * size * 0.7, my - uy * size - ux * size * 0.7);
    this.ctx.closePath();
  }

  /** Labels in screen space: most important first, over no other label or node, at most MAX_LABELS. */
  private labels(cam: Camera, state: DrawState): number {
    const g = this.graph!;
    const ctx = this.ctx;
    const cand: Array<{ i: number; pri: number; special: boolean }> = [];
    const circles: Circle[] = new Array<Circle>(g.nodes.length);
    g.nodes.forEach((n, i) => {
      const sx = cam.toScreenX(this.xy[2 * i]);
      const sy = cam.toScreenY(this.xy[2 * i + 1]);
      const sr = this.radii[i] * cam.k;
      const on = !(sx < -50 - sr || sx > cam.w + 50 + sr || sy < -20 - sr || sy > cam.h + 20 + sr);
      circles[i] = { x: sx, y: sy, r: on ? sr : -1 };
      if (sx < -50 || sx > cam.w + 50 || sy < -20 || sy > cam.h + 20) return;
      const special = n.id === state.selected || n.id === state.focused || n.id === state.hover;
      if (!special && sr < 4 && !(state.searching && n.match) && !n.severity) return;
      const pri = (special ? 1e6 : 0) + (state.searching && n.match ? 1e5 : 0) + (n.severity ? 1e4 : 0) + (n.type === 'group' ? 1e3 : 0) + sr;
      cand.push({ i, pri, special });
    });
    const space = new LabelSpace(circles, cam.w, cam.h);
    cand.sort((a, b) => b.pri - a.pri);
    ctx.font = `11px ${this.theme.font}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    let n = 0;
    for (const c of cand) {
      if (n >= MAX_LABELS) break;
      const node = g.nodes[c.i];
      const text = node.type === 'group' ? `${node.label} (${node.processes})` : node.label;
      const w = Math.min(220, ctx.measureText(text).width);
      const box = space.place(c.i, w + 4, 14, c.special);
      if (!box) continue;
      ctx.globalAlpha = state.searching && !node.match ? 0.45 : 1;
      ctx.fillStyle = this.theme.bg;
      ctx.globalAlpha *= 0.75;
      ctx.fillRect(box[0], box[1], box[2] - box[0], box[3] - box[1]);
      ctx.globalAlpha = state.searching && !node.match ? 0.45 : 1;
      ctx.fillStyle = node.severity ? this.theme.severity[node.severity] : this.theme.fg;
      ctx.fillText(text, (box[0] + box[2]) / 2, box[1] + 1, 220);
      n++;
    }
    ctx.globalAlpha = 1;
    return n;
  }
}
