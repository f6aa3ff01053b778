// Force-directed layout of the drawn graph (d3-force, Barnes–Hut many-body), run in the worker in
// slices so positions stream to the page while the picture settles. Positions survive rebuilds
// by node id: a refresh that only changes rates does not move anything; a new node starts next
// to what it belongs to (the group it was opened from, the nodes it connects to), so expanding a
// group unfolds in place instead of reshuffling the map.
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type Simulation, type SimulationLinkDatum, type SimulationNodeDatum } from 'd3-force';
import type { TopoGraph } from '../../src/core/topology/types';
import { radius } from './geometry';

interface SimNode extends SimulationNodeDatum {
  id: string;
  r: number;
}
type SimLink = SimulationLinkDatum<SimNode>;

/** Milliseconds of ticking between two position posts. */
const SLICE_MS = 12;

export class Layout {
  private sim: Simulation<SimNode, SimLink> | null = null;
  private nodes: SimNode[] = [];
  private readonly known = new Map<string, SimNode>();
  /** Nodes held where they were while a small change settles (released once it has). */
  private pinned: SimNode[] = [];
  /** Ticks run for the current graph, for the stats. */
  ticks = 0;

  /** Adopts a new graph; returns whether its set of nodes or edges changed (then the layout reheats). */
  setGraph(g: TopoGraph, prev: TopoGraph | null): boolean {
    const ids = g.nodes.map((n) => n.id).join('\n') + '\n' + g.edges.map((e) => e.id).join('\n');
    const prevIds = prev ? prev.nodes.map((n) => n.id).join('\n') + '\n' + prev.edges.map((e) => e.id).join('\n') : '';
    const structural = ids !== prevIds;
    if (!structural && this.sim) {
      // same shape: only sizes may differ
      for (let i = 0; i < g.nodes.length; i++) this.nodes[i].r = radius(g.nodes[i]);
      return false;
    }
    // where did each new node come from? (the previous graph's group it sat in, or that its children sat in)
    const prevPos = new Map<string, SimNode>();
    for (const n of this.nodes) prevPos.set(n.id, n);
    const childrenOf = new Map<string, SimNode[]>();
    if (prev) {
      for (const n of prev.nodes) {
        if (!n.parentGroup) continue;
        const p = prevPos.get(n.id);
        if (!p) continue;
        const l = childrenOf.get(n.parentGroup);
        if (l) l.push(p);
        else childrenOf.set(n.parentGroup, [p]);
      }
    }
    const neighbours = new Map<string, string[]>();
    for (const e of g.edges) {
      (neighbours.get(e.source) ?? neighbours.set(e.source, []).get(e.source)!).push(e.target);
      (neighbours.get(e.target) ?? neighbours.set(e.target, []).get(e.target)!).push(e.source);
    }
    const nodes: SimNode[] = [];
    let fresh = 0;
    const seeded: SimNode[] = [];
    for (const n of g.nodes) {
      let s = this.known.get(n.id);
      if (!s) {
        s = { id: n.id, r: radius(n) };
        const parent = n.parentGroup ? prevPos.get(n.parentGroup) : undefined;
        const kids = childrenOf.get(n.id);
        const jitter = () => (Math.random() - 0.5) * 40;
        if (parent && parent.x !== undefined) {
          s.x = parent.x + jitter();
          s.y = parent.y! + jitter();
        } else if (kids?.length) {
          s.x = kids.reduce((a, k) => a + (k.x ?? 0), 0) / kids.length;
          s.y = kids.reduce((a, k) => a + (k.y ?? 0), 0) / kids.length;
        } else {
          seeded.push(s);
        }
        this.known.set(n.id, s);
        fresh++;
      }
      s.r = radius(n);
      nodes.push(s);
    }
    // the rest: next to a placed neighbour, else on a spiral around the centre
    const placed = (id: string) => {
      const k = this.known.get(id);
      return k && k.x !== undefined ? k : undefined;
    };
    let spiral = this.nodes.length === 0 ? 0 : nodes.length;
    for (const s of seeded) {
      const near = (neighbours.get(s.id) ?? []).map(placed).filter((x): x is SimNode => !!x);
      if (near.length) {
        s.x = near.reduce((a, k) => a + k.x!, 0) / near.length + (Math.random() - 0.5) * 60;
        s.y = near.reduce((a, k) => a + k.y!, 0) / near.length + (Math.random() - 0.5) * 60;
      } else {
        const a = spiral * 2.39996;
        const d = 12 * Math.sqrt(spiral + 1) * 3;
        s.x = Math.cos(a) * d;
        s.y = Math.sin(a) * d;
        spiral++;
      }
    }
    // forget nodes gone for good (bounded memory over a long session)
    if (this.known.size > nodes.length * 4 + 1000) {
      const keep = new Set(nodes.map((n) => n.id));
      for (const id of this.known.keys()) if (!keep.has(id)) this.known.delete(id);
    }
    this.nodes = nodes;
    const index = new Map(nodes.map((n, i) => [n.id, i]));
    const links: SimLink[] = g.edges.map((e) => ({ source: index.get(e.source)!, target: index.get(e.target)! }));
    // Thousands of nodes (every group opened by hand): a coarser many-body approximation, no
    // collision pass (the many-body force already keeps nodes apart; collision was over half of
    // each tick at 10,000 nodes) and fewer ticks — measured in bench/topology.ts.
    const many = nodes.length > 1500;
    this.sim?.stop();
    this.sim = forceSimulation<SimNode, SimLink>(nodes)
      .force('link', forceLink<SimNode, SimLink>(links).distance((l) => 24 + (l.source as SimNode).r + (l.target as SimNode).r).strength(0.4))
      .force('charge', forceManyBody<SimNode>().strength((d) => -40 - 6 * d.r).theta(many ? 1.5 : 0.9).distanceMax(many ? 300 : 900))
      .force('collide', many ? null : forceCollide<SimNode>((d) => d.r + 3).iterations(1))
      .force('x', forceX<SimNode>(0).strength(0.03))
      .force('y', forceY<SimNode>(0).strength(0.03))
      .alphaMin(0.004)
      .alphaDecay(many ? 0.05 : 0.0228)
      .stop();
    // a first layout starts hot; an expansion stirs it, as much as it adds
    const share = nodes.length ? fresh / nodes.length : 1;
    this.sim.alpha(!prev || share >= 0.5 ? 1 : Math.max(0.12, share));
    // A small change moves only what it touches: the new nodes, the ends of links that came or
    // went, and their neighbours; every other node is held where it is until the layout settles.
    // (A busy machine changes links at every refresh: the whole map drifted 20–60 px each time,
    // and a click missed its node.)
    this.releasePins();
    if (prev && share < 0.5) {
      const prevEdges = new Set(prev.edges.map((e) => e.id));
      const nowEdges = new Set(g.edges.map((e) => e.id));
      const touched = new Set<string>();
      for (const e of g.edges) if (!prevEdges.has(e.id)) touched.add(e.source).add(e.target);
      for (const e of prev.edges) if (!nowEdges.has(e.id)) touched.add(e.source).add(e.target);
      for (const n of nodes) if (!prevPos.has(n.id)) touched.add(n.id);
      for (const id of [...touched]) for (const x of neighbours.get(id) ?? []) touched.add(x);
      for (const n of nodes) {
        if (touched.has(n.id) || n.fx != null || n.x === undefined) continue;
        n.fx = n.x;
        n.fy = n.y;
        this.pinned.push(n);
      }
    }
    this.ticks = 0;
    return true;
  }

  get settled(): boolean {
    return !this.sim || this.sim.alpha() < this.sim.alphaMin();
  }

  /** Lets the nodes held during a small change go (where they are: the layout no longer moves). */
  private releasePins(): void {
    for (const n of this.pinned) {
      n.fx = null;
      n.fy = null;
    }
    this.pinned = [];
  }

  get alpha(): number {
    return this.sim?.alpha() ?? 0;
  }

  /** Ticks for about SLICE_MS; returns the time spent. */
  step(): number {
    if (!this.sim || this.settled) return 0;
    const t0 = performance.now();
    do {
      this.sim.tick();
      this.ticks++;
    } while (!this.settled && performance.now() - t0 < SLICE_MS);
    if (this.settled) this.releasePins();
    return performance.now() - t0;
  }

  positions(): Float32Array {
    const xy = new Float32Array(this.nodes.length * 2);
    for (let i = 0; i < this.nodes.length; i++) {
      xy[2 * i] = this.nodes[i].x ?? 0;
      xy[2 * i + 1] = this.nodes[i].y ?? 0;
    }
    return xy;
  }

  /** Holds a node where the pointer is (or lets it go) and stirs the layout a little. */
  drag(id: string, x: number, y: number, release: boolean): void {
    const n = this.known.get(id);
    if (!n) return;
    // a drag moves the map as a whole again
    this.releasePins();
    if (release) {
      n.fx = null;
      n.fy = null;
    } else {
      n.fx = x;
      n.fy = y;
      n.x = x;
      n.y = y;
    }
    if (this.sim && this.sim.alpha() < 0.1) this.sim.alpha(0.1);
  }

  reset(): void {
    this.pinned = [];
    this.known.clear();
    this.nodes = [];
    this.sim?.stop();
    this.sim = null;
  }
}
