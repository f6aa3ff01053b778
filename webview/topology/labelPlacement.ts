// Where a node's label goes on the map: below the node, else above, right or left of it — the
// first spot that covers no label already placed and no other node. On a crowded map a label is
// left out (hovering or selecting the node still shows it) rather than drawn across another node,
// where it hid that node and read as its name.

/** x0, y0, x1, y1 in screen pixels. */
export type Box = [number, number, number, number];

/** A node on screen; r < 0 for one not drawn (off screen). */
export interface Circle {
  x: number;
  y: number;
  r: number;
}

const GAP = 3;

export class LabelSpace {
  private readonly placed: Box[] = [];
  /** Grid cell → indices of the circles whose bounding box touches it. */
  private readonly grid = new Map<number, number[]>();

  /** `w`×`h`: the screen (labels go on it; a node bigger than it is indexed over it only). */
  constructor(
    private readonly circles: readonly Circle[],
    private readonly w: number,
    private readonly h: number,
    private readonly cell = 64,
  ) {
    circles.forEach((c, i) => {
      if (c.r < 0) return;
      this.cells([c.x - c.r, c.y - c.r, c.x + c.r, c.y + c.r], (k) => {
        const list = this.grid.get(k);
        if (list) list.push(i);
        else this.grid.set(k, [i]);
      });
    });
  }

  /**
   * The spot for a w×h label of circle `own`, taken from now on; null when every spot is covered.
   * `force` (the selected, focused or hovered node): the first free spot, else below it regardless.
   */
  place(own: number, w: number, h: number, force = false): Box | null {
    const c = this.circles[own];
    const spots: Box[] = [
      [c.x - w / 2, c.y + c.r + GAP, c.x + w / 2, c.y + c.r + GAP + h],
      [c.x - w / 2, c.y - c.r - GAP - h, c.x + w / 2, c.y - c.r - GAP],
      [c.x + c.r + GAP, c.y - h / 2, c.x + c.r + GAP + w, c.y + h / 2],
      [c.x - c.r - GAP - w, c.y - h / 2, c.x - c.r - GAP, c.y + h / 2],
    ];
    const spot = spots.find((b) => this.free(b, own)) ?? (force ? spots[0] : null);
    if (spot) this.placed.push(spot);
    return spot;
  }

  private free(b: Box, own: number): boolean {
    for (const p of this.placed) if (!(b[2] < p[0] || b[0] > p[2] || b[3] < p[1] || b[1] > p[3])) return false;
    let hit = false;
    this.cells(b, (k) => {
      if (hit) return;
      for (const i of this.grid.get(k) ?? []) {
        if (i === own) continue;
        const c = this.circles[i];
        // the box's point nearest the centre, inside the circle?
        const dx = c.x - Math.max(b[0], Math.min(c.x, b[2]));
        const dy = c.y - Math.max(b[1], Math.min(c.y, b[3]));
        if (dx * dx + dy * dy < c.r * c.r) {
          hit = true;
          return;
        }
      }
    });
    return !hit;
  }

  private cells(b: Box, fn: (key: number) => void): void {
    const x0 = Math.floor(b[0] / this.cell);
    const x1 = Math.floor(b[2] / this.cell);
    const y0 = Math.floor(b[1] / this.cell);
    const y1 = Math.floor(b[3] / this.cell);
    // a huge node (zoomed in) spans many cells: only those on the screen (and one around it) count
    const xm = Math.ceil(this.w / this.cell) + 1;
    const ym = Math.ceil(this.h / this.cell) + 1;
    for (let x = Math.max(x0, -2); x <= Math.min(x1, xm); x++) for (let y = Math.max(y0, -2); y <= Math.min(y1, ym); y++) fn((x + 4) * 65536 + (y + 4));
  }
}
