// Small helpers over Maps that the probes and the diagnosis share.

/** Appends `v` to the list `m` keeps under `k`, making the list on first use. */
export function addTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}
