// signalfds: a process that reads signals through a signalfd blocks them on purpose and takes
// them from the fd (PostgreSQL reads SIGURG so). Not a channel: a process facet. Each
// `anon_inode:[signalfd]` fd's fdinfo `sigmask` (hex, bit n-1 = signal n) names the signals it
// reads; their union is the process's `signals.signalfd`, a handled signal set — shown beside
// caught/ignored/blocked in the tree, the panel and the JSON, and a blocked signal in it is not
// stuck (core/signalSets.ts, the signal policy, the diagnosis).
import { decodeSigMask, signalNumber } from '../signals';
import type { ProcessFacet } from './kind';

export const signalfd: ProcessFacet = {
  id: 'signalfd',
  fds: { id: 'signalfd', rule: { code: 7, link: 'anon_inode:[signalfd]', exact: true, fdinfo: ['sigmask'] } },
  annotate(p, rows) {
    const names = new Set<string>();
    for (const r of rows) for (const n of decodeSigMask(r.info.get('sigmask') ?? '')) names.add(n);
    p.signals.signalfd = [...names].sort((a, b) => (signalNumber(a) ?? 0) - (signalNumber(b) ?? 0));
  },
  signalSet: { key: 'signalfd', title: 'Via signalfd', help: 'blocked on purpose and read by the process through a signalfd: handled', handled: true },
};
