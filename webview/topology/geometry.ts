// Sizes shared by the layout (collision radii, link lengths) and the renderer (what is drawn).
import type { TopoNode } from '../../src/core/topology/types';

/** Node radius in world units (= CSS px at zoom 1). */
export function radius(n: Pick<TopoNode, 'type' | 'processes' | 'channels'>): number {
  switch (n.type) {
    case 'group':
      return Math.min(40, 10 + 3 * Math.sqrt(n.processes));
    case 'process':
      return Math.min(22, 6 + 1.5 * Math.sqrt(n.channels));
    case 'object':
      return Math.min(18, 7 + Math.sqrt(n.channels));
    case 'unheld':
      return 9;
  }
}
