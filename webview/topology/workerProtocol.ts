// Messages between the map's page (main thread: drawing, input) and its worker (data, rates,
// filter, aggregation, layout). Both sides are our own code; the data inside comes from the host.
import type { HostMessage } from '../../src/webviews/topology/protocol';
import type { GroupBy, TopoGraph } from '../../src/core/topology/types';

export interface ViewRequest {
  groupBy: GroupBy;
  expanded: string[];
  collapsed: string[];
  search: string;
  budget: number;
}

export type ToWorker =
  | { type: 'host'; msg: HostMessage }
  | { type: 'view'; view: ViewRequest }
  /** A node held by the pointer (fixed where it is dragged to) or let go (`release`). */
  | { type: 'drag'; id: string; x: number; y: number; release?: boolean }
  /** Forget every position and lay out again. */
  | { type: 'relayout' };

export type FromWorker =
  | { type: 'graph'; seq: number; graph: TopoGraph; buildMs: number; at: number; paused: boolean; waiting: boolean }
  /** x,y per node of graph `seq`, in its order (transferred). */
  | { type: 'positions'; seq: number; xy: Float32Array; alpha: number; tickMs: number; ticks: number; settled: boolean }
  | { type: 'error'; message: string };
