// The view transform: world (layout) coordinates ↔ screen (CSS px) coordinates; zoom about a
// point, pan, and fit a set of positions into the canvas.
export class Camera {
  /** World point at the canvas centre, and the zoom. */
  x = 0;
  y = 0;
  k = 1;
  w = 1;
  h = 1;
  /** The user moved the view: stop fitting automatically. */
  touched = false;

  toScreenX(wx: number): number {
    return (wx - this.x) * this.k + this.w / 2;
  }

  toScreenY(wy: number): number {
    return (wy - this.y) * this.k + this.h / 2;
  }

  toWorld(sx: number, sy: number): [number, number] {
    return [(sx - this.w / 2) / this.k + this.x, (sy - this.h / 2) / this.k + this.y];
  }

  zoomAt(sx: number, sy: number, factor: number): void {
    const [wx, wy] = this.toWorld(sx, sy);
    this.k = Math.min(8, Math.max(0.02, this.k * factor));
    // keep the world point under the cursor where it was
    this.x = wx - (sx - this.w / 2) / this.k;
    this.y = wy - (sy - this.h / 2) / this.k;
  }

  pan(dx: number, dy: number): void {
    this.x -= dx / this.k;
    this.y -= dy / this.k;
  }

  /** Fits the positions (x,y pairs) with a margin; radius bound per node keeps big nodes inside. */
  fit(xy: Float32Array, pad = 40): void {
    if (xy.length < 2) return;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < xy.length; i += 2) {
      x0 = Math.min(x0, xy[i]);
      x1 = Math.max(x1, xy[i]);
      y0 = Math.min(y0, xy[i + 1]);
      y1 = Math.max(y1, xy[i + 1]);
    }
    const bw = Math.max(1, x1 - x0 + 80);
    const bh = Math.max(1, y1 - y0 + 80);
    this.k = Math.min(2, Math.max(0.02, Math.min((this.w - 2 * pad) / bw, (this.h - 2 * pad) / bh)));
    this.x = (x0 + x1) / 2;
    this.y = (y0 + y1) / 2;
  }

  /** Brings a world point into view (keyboard focus moving off screen). */
  ensureVisible(wx: number, wy: number, margin = 60): void {
    const sx = this.toScreenX(wx);
    const sy = this.toScreenY(wy);
    if (sx < margin || sx > this.w - margin || sy < margin || sy > this.h - margin) {
      this.x = wx;
      this.y = wy;
    }
  }
}
