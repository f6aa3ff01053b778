// Where the topology map puts a node's label (webview/topology/labelPlacement.ts): below, else
// above, right or left, never over another label or node unless forced.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { LabelSpace, type Box, type Circle } from '../../webview/topology/labelPlacement';

const overlaps = (a: Box, b: Box): boolean => !(a[2] < b[0] || a[0] > b[2] || a[3] < b[1] || a[1] > b[3]);
const covers = (b: Box, c: Circle): boolean => {
  const dx = c.x - Math.max(b[0], Math.min(c.x, b[2]));
  const dy = c.y - Math.max(b[1], Math.min(c.y, b[3]));
  return dx * dx + dy * dy < c.r * c.r;
};

describe('topology labels', () => {
  it('below a node with room; above it when a node sits below; beside it when both are taken', () => {
    const alone = new LabelSpace([{ x: 100, y: 100, r: 10 }], 800, 600);
    assert.deepEqual(alone.place(0, 60, 14), [70, 113, 130, 127]);
    const below = new LabelSpace([{ x: 100, y: 100, r: 10 }, { x: 100, y: 125, r: 8 }], 800, 600);
    assert.deepEqual(below.place(0, 60, 14), [70, 73, 130, 87]);
    const both = new LabelSpace([{ x: 100, y: 100, r: 10 }, { x: 100, y: 125, r: 8 }, { x: 100, y: 75, r: 8 }], 800, 600);
    assert.deepEqual(both.place(0, 60, 14), [113, 93, 173, 107]);
  });

  it('no room on any side: left out, unless forced (the hovered node), then below', () => {
    const c: Circle[] = [{ x: 100, y: 100, r: 10 }, { x: 100, y: 125, r: 8 }, { x: 100, y: 75, r: 8 }, { x: 135, y: 100, r: 8 }, { x: 65, y: 100, r: 8 }];
    assert.equal(new LabelSpace(c, 800, 600).place(0, 60, 14), null);
    assert.deepEqual(new LabelSpace(c, 800, 600).place(0, 60, 14, true), [70, 113, 130, 127]);
  });

  it('a label already placed is not covered by the next', () => {
    const s = new LabelSpace([{ x: 100, y: 100, r: 5 }, { x: 130, y: 100, r: 5 }], 800, 600);
    const a = s.place(0, 60, 14)!;
    const b = s.place(1, 60, 14)!;
    assert.ok(a && b && !overlaps(a, b), `${a} / ${b}`);
  });

  it('on a crowded random map, no label placed covers another label or a node not its own', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const circles: Circle[] = Array.from({ length: 400 }, () => ({ x: rnd() * 900, y: rnd() * 700, r: 3 + rnd() * 14 }));
    circles.push({ x: 450, y: 350, r: -1 }); // off screen: not an obstacle
    const s = new LabelSpace(circles, 900, 700);
    const placed: Array<[number, Box]> = [];
    circles.forEach((c, i) => {
      if (c.r < 0) return;
      const b = s.place(i, 30 + rnd() * 80, 14);
      if (b) placed.push([i, b]);
    });
    assert.ok(placed.length > 40 && placed.length < 400, `${placed.length} placed`);
    for (const [i, b] of placed) {
      circles.forEach((c, j) => assert.ok(j === i || c.r < 0 || !covers(b, c), `label of ${i} covers node ${j}`));
      for (const [k, o] of placed) assert.ok(k === i || !overlaps(b, o), `labels of ${i} and ${k}`);
    }
  });

  it('a node far bigger than the screen (zoomed in) is an obstacle where it is on screen, at a bounded cost', () => {
    const s = new LabelSpace([{ x: 400, y: 300, r: 1e6 }, { x: 20, y: 20, r: 4 }], 800, 600);
    assert.equal(s.place(1, 40, 14), null);
  });
});
