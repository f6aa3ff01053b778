// What is under the pointer: nodes through a uniform grid rebuilt with each position update,
// edges by distance to their segment (only when no node is hit).
import type { TopoGraph } from '../../src/core/topology/types';

const CELL = 64;

export class Picker {
  private grid = new Map<number, number[]>();
  private radii: Float32Array = new Float32Array(0);

  rebuild(xy: Float32Array, radii: Float32Array): void {
    this.radii = radii;
    this.grid.clear();
    for (let i = 0; i < radii.length; i++) {
      const r = radii[i];
      const cx0 = Math.floor((xy[2 * i] - r) / CELL);
      const cx1 = Math.floor((xy[2 * i] + r) / CELL);
      const cy0 = Math.floor((xy[2 * i + 1] - r) / CELL);
      const cy1 = Math.floor((xy[2 * i + 1] + r) / CELL);
      for (let cx = cx0; cx <= cx1; cx++) {
        for (let cy = cy0; cy <= cy1; cy++) {
          const key = cx * 73856093 + cy * 19349663;
          const l = this.grid.get(key);
          if (l) l.push(i);
          else this.grid.set(key, [i]);
        }
      }
    }
  }

  /** Index of the node at world (x, y) (the topmost = last drawn), or -1; `slack` in world units. */
  node(xy: Float32Array, x: number, y: number, slack: number): number {
    const key = Math.floor(x / CELL) * 73856093 + Math.floor(y / CELL) * 19349663;
    let best = -1;
    for (const i of this.grid.get(key) ?? []) {
      const dx = xy[2 * i] - x;
      const dy = xy[2 * i + 1] - y;
      const r = this.radii[i] + slack;
      if (dx * dx + dy * dy <= r * r && i > best) best = i;
    }
    return best;
  }

  /** Index of the edge within `tol` world units of (x, y), or -1; `perPx` = world units per screen pixel (widths are screen px). */
  edge(g: TopoGraph, index: ReadonlyMap<string, number>, xy: Float32Array, x: number, y: number, tol: number, perPx: number): number {
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < g.edges.length; i++) {
      const e = g.edges[i];
      const a = index.get(e.source)!;
      const b = index.get(e.target)!;
      const ax = xy[2 * a];
      const ay = xy[2 * a + 1];
      const bx = xy[2 * b];
      const by = xy[2 * b + 1];
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy || 1;
      const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
      const px = ax + t * dx - x;
      const py = ay + t * dy - y;
      const d = Math.sqrt(px * px + py * py) - (e.width * perPx) / 2;
      if (d < tol && d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }
}
