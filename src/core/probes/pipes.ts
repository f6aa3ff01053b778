// Anonymous pipes (`pipe:[INODE]` fds) and FIFOs (fds whose target is S_ISFIFO), joined by inode.
import type { FifoChannel, PipeChannel, ReadError } from '../model';
import { FIFO_FDS, PIPE_FDS } from '../kinds/fds';
import { MODE_KERNEL_ENDS, MODE_NO_READER, MODE_NO_WRITER, MODE_UNLINKED } from '../native';
import { DELETED_HEX, devName, emit, emitAll, pathHexOf, type Probe } from './context';
import { foreignPaths } from './mountNamespaces';

export const pipeProbe: Probe = {
  run(ctx) {
    if (ctx.kinds.has('pipe')) {
      // groups come in ascending inode order: the canonical order, no sort
      const f = ctx.walk.fds;
      const index = ctx.index;
      const next = index.next;
      const g = index.groups(PIPE_FDS.rule.code);
      const out: PipeChannel[] = new Array(g.count);
      for (let h = 0; h < g.count; h++) {
        const row = g.first[h];
        const raw = g.inode[h];
        const inode = raw <= 0x7fffffff ? raw | 0 : raw;
        let buffered: number | null = null;
        let capacity: number | null = null;
        let ends = -1;
        for (let i = row; i >= 0; i = next[i]) {
          const b = f.buffered[i];
          const c = f.capacity[i];
          if (buffered === null && b >= 0) buffered = b <= 0x7fffffff ? b | 0 : b;
          if (capacity === null && c >= 0) capacity = c <= 0x7fffffff ? c | 0 : c;
          if (ends < 0 && f.mode[i] & MODE_KERNEL_ENDS) ends = f.mode[i];
        }
        const ch: PipeChannel = {
          id: 'pipe:' + inode,
          kind: 'pipe',
          endpoints: index.endpoints(row),
          inode,
          bufferedBytes: buffered,
          capacity,
        };
        if (ends >= 0) kernelEnds(ch, ends);
        if (buffered === null || capacity === null) ch.errors = unmeasured(ch, ctx.native !== null);
        out[h] = ch;
      }
      emitAll(ctx, 'pipe', out);
      ctx.presorted.add('pipe');
    }
    if (ctx.kinds.has('fifo')) {
      const f = ctx.walk.fds;
      const paths = foreignPaths(ctx);
      // The index is keyed by inode alone; split by device here (FIFOs are few).
      for (const row of ctx.index.heads(FIFO_FDS.rule.code)) {
        const inode = f.inode[row];
        const byDev = new Map<number, number[]>();
        for (let i = row; i >= 0; i = ctx.index.next[i]) {
          const list = byDev.get(f.dev[i]);
          if (list) list.push(i);
          else byDev.set(f.dev[i], [i]);
        }
        for (const [dev, rows] of byDev) {
          let p = '';
          let pi = -1;
          // the name a process of our mount namespace reads, else another's (marked below)
          let from = -1;
          let foreign = false;
          for (const r of rows) {
            if (f.pathIndex[r] < 0) continue;
            const theirs = paths.of(f.pid[r]) !== undefined;
            if (pi < 0 || (foreign && !theirs)) {
              pi = f.pathIndex[r];
              from = f.pid[r];
              foreign = theirs;
            }
          }
          if (pi >= 0) p = ctx.walk.paths[pi];
          // a path that is not UTF-8 (its text lossy): its bytes
          let hex = pi >= 0 && ctx.walk.pathHexAt !== undefined ? pathHexOf(ctx.walk, pi) : undefined;
          // unlinked by the inode (the walk's mode bit), not by the text: a live FIFO may be named
          // `x (deleted)`; the link of an unlinked one ends in ` (deleted)` after its name
          const deleted = rows.some((r) => (f.mode[r] & MODE_UNLINKED) !== 0);
          if (deleted && p.endsWith(' (deleted)')) {
            p = p.slice(0, -' (deleted)'.length);
            if (hex?.endsWith(DELETED_HEX)) hex = hex.slice(0, -DELETED_HEX.length);
          }
          let buffered: number | null = null;
          let capacity: number | null = null;
          let ends = -1;
          for (const r of rows) {
            if (buffered === null && f.buffered[r] >= 0) buffered = f.buffered[r];
            if (capacity === null && f.capacity[r] >= 0) capacity = f.capacity[r];
            if (ends < 0 && f.mode[r] & MODE_KERNEL_ENDS) ends = f.mode[r];
          }
          const d = devName(dev);
          const mntns = foreign ? paths.mark(p, from, { dev: d, inode }) : undefined;
          const endpoints = rows.map((r) => ({ pid: f.pid[r], fd: f.fd[r], mode: (['rw', 'r', 'w', 'rw'] as const)[f.mode[r] & 3] }));
          endpoints.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
          const ch: FifoChannel = {
            id: `fifo:${d}:${inode}`,
            kind: 'fifo',
            endpoints,
            inode,
            dev: d,
            path: p,
            ...(hex !== undefined ? { pathBytes: hex } : {}),
            deleted,
            ...(mntns !== undefined ? { mntns } : {}),
            bufferedBytes: buffered,
            capacity,
          };
          if (ends >= 0) kernelEnds(ch, ends);
          if (buffered === null || capacity === null) ch.errors = unmeasured(ch, ctx.native !== null);
          emit(ctx, ch);
        }
      }
    }
  },
};

/**
 * Why a pipe's or FIFO's fill or size is missing (the snapshot explains every null): without the
 * addon nothing measures it; the /proc walk measures through a read end a process holds and opens
 * none that does not exist (the BPF walk reads the kernel's pipe state, so it knows these); else a
 * read end was there, and its measurement failed: the fd closed or changed first, or the pipe's
 * lock was held past the scan's wait (walk.cc MeasurePipes does not say which).
 */
function unmeasured(ch: PipeChannel | FifoChannel, native: boolean): ReadError[] {
  const code = !native ? 'ENOSYS' : ch.endpoints.every((e) => e.mode === 'w') ? 'ENXIO' : 'EBUSY';
  const out: ReadError[] = [];
  if (ch.bufferedBytes === null) out.push({ field: 'bufferedBytes', syscall: 'FIONREAD', code });
  if (ch.capacity === null) out.push({ field: 'capacity', syscall: 'F_GETPIPE_SZ', code });
  return out;
}

/** The ends the kernel counts open (a row's MODE_KERNEL_ENDS bits: the BPF walk's pipe state). */
function kernelEnds(ch: PipeChannel | FifoChannel, bits: number): void {
  ch.readEndOpen = (bits & MODE_NO_READER) === 0;
  ch.writeEndOpen = (bits & MODE_NO_WRITER) === 0;
}
