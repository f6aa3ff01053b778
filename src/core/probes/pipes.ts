// Anonymous pipes (`pipe:[INODE]` fds) and FIFOs (fds whose target is S_ISFIFO), joined by inode.
import type { FifoChannel, PipeChannel } from '../model';
import { FdKind } from '../native';
import { orderByInode } from './inodeTable';
import { devName, emit, type Probe, type ProbeContext } from './context';

function measured(ctx: ProbeContext, row: number): { buffered: number | null; capacity: number | null } {
  const f = ctx.walk.fds;
  let buffered: number | null = null;
  let capacity: number | null = null;
  for (let i = row; i >= 0; i = ctx.index.next[i]) {
    if (buffered === null && f.buffered[i] >= 0) buffered = f.buffered[i];
    if (capacity === null && f.capacity[i] >= 0) capacity = f.capacity[i];
  }
  return { buffered, capacity };
}

export const pipeProbe: Probe = {
  kinds: ['pipe', 'fifo'],
  run(ctx) {
    if (ctx.kinds.has('pipe')) {
      const f = ctx.walk.fds;
      const heads = ctx.index.heads(FdKind.Pipe);
      const order = orderByInode(heads.length, (i) => f.inode[heads[i]]);
      ctx.presorted.add('pipe');
      {
        for (let h = 0; h < order.length; h++) {
          const row = heads[order[h]];
          const raw = f.inode[row];
          const inode = raw <= 0x7fffffff ? raw | 0 : raw;
          const m = measured(ctx, row);
          const ch: PipeChannel = {
            id: 'pipe:' + inode,
            kind: 'pipe',
            endpoints: ctx.index.endpoints(row),
            inode,
            bufferedBytes: m.buffered,
            capacity: m.capacity,
          };
          emit(ctx, ch);
        }
      }
    }
    if (ctx.kinds.has('fifo')) {
      const f = ctx.walk.fds;
      // The index is keyed by inode alone; split by device here (FIFOs are few).
      for (const row of ctx.index.heads(FdKind.Fifo)) {
        const inode = f.inode[row];
        const byDev = new Map<number, number[]>();
        for (let i = row; i >= 0; i = ctx.index.next[i]) {
          const list = byDev.get(f.dev[i]);
          if (list) list.push(i);
          else byDev.set(f.dev[i], [i]);
        }
        for (const [dev, rows] of byDev) {
          let p = '';
          for (const r of rows) if (f.pathIndex[r] >= 0) p = ctx.walk.paths[f.pathIndex[r]];
          let deleted = false;
          if (p.endsWith(' (deleted)')) {
            deleted = true;
            p = p.slice(0, -' (deleted)'.length);
          }
          let buffered: number | null = null;
          let capacity: number | null = null;
          for (const r of rows) {
            if (buffered === null && f.buffered[r] >= 0) buffered = f.buffered[r];
            if (capacity === null && f.capacity[r] >= 0) capacity = f.capacity[r];
          }
          const d = devName(dev);
          const endpoints = rows.map((r) => ({ pid: f.pid[r], fd: f.fd[r], mode: (['rw', 'r', 'w', 'rw'] as const)[f.mode[r] & 3] }));
          endpoints.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
          const ch: FifoChannel = {
            id: `fifo:${d}:${inode}`,
            kind: 'fifo',
            endpoints,
            inode,
            dev: d,
            path: p,
            deleted,
            bufferedBytes: buffered,
            capacity,
          };
          emit(ctx, ch);
        }
      }
    }
  },
};
