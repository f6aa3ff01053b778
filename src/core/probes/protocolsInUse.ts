// How many sockets of each protocol a network namespace has (the `sockets` column of
// /proc/PID/net/protocols: the kernel's per-namespace in-use count of each struct proto), so that
// the tables of protocols most machines never use (MPTCP, UDP-Lite) are dumped only where some
// socket of them exists: each dump costs a walk of the kernel's hash tables every refresh
// (mptcp_diag's two requests ~1.9 ms here), for tables nearly always empty.

/** Protocol name → sockets in use (`TCP`, `TCPv6`, `MPTCP`, `MPTCPv6`, `UDP-Lite`, `UDPLITEv6`, …). */
export type ProtocolsInUse = ReadonlyMap<string, number>;

/** Parses /proc/net/protocols; lines it cannot read are left out. */
export function parseProtocols(text: string): ProtocolsInUse {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const t = lines[i].trim().split(/\s+/);
    if (t.length < 3) continue;
    const n = Number(t[2]);
    if (Number.isInteger(n) && n >= 0) out.set(t[0], n);
  }
  return out;
}

/**
 * Whether a namespace may hold sockets of these protocols: yes when its counts are unknown (no
 * table read), or when any of them counts one. A count is a hint read before the dump, not a
 * census: a socket made between the two is seen next refresh, as any socket made after a dump is.
 */
export function mayHave(counts: ProtocolsInUse | null, names: readonly string[]): boolean {
  if (counts === null) return true;
  // (a name the table lacks: a kernel without that protocol, which has no such socket)
  return names.some((n) => (counts.get(n) ?? 0) > 0);
}
