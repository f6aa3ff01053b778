// Loopback TCP pairing (probes/sockets.ts preparePairs): each connected end is paired with the end
// whose local/remote are its remote/local. Checked against the plain definition (for each end, the
// latest candidate whose `local`/`remote` are its `remote`/`local`: the same text, or one the
// IPv4-mapped form of the other) on random tables full of collisions — few ports, few addresses,
// the same address text in both families, IPv4 ends and IPv4-mapped IPv6 ends, duplicated
// 4-tuples (a new connection beside its TIME-WAIT predecessor), ends that match themselves — and
// on one table of 20,000 ends; by the tables' address columns, and by the texts where a table has none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InetChannel } from '../../src/core/model';
import { preparePairs, type PreparedInet } from '../../src/core/probes/sockets';

/** One end's address:port, written either way: `127.0.0.1:80` is `[::ffff:127.0.0.1]:80`. */
function same(a: string, b: string): boolean {
  const v4 = (s: string) => /^\[::ffff:(\d+\.\d+\.\d+\.\d+)\]:(\d+)$/.exec(s)?.slice(1).join(':') ?? s;
  return v4(a) === v4(b);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
}

/** `addr`: with the table's address columns, as prepareInet gives them (compared instead of the texts); without: the texts. */
function table(n: number, seed: number, addr = true): PreparedInet {
  const r = rng(seed);
  const ports = [80, 443, 5432, 40000, 65535, 1];
  // the same address text in both families: only the family tells them apart
  const hosts = ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1'];
  const ch: InetChannel[] = [];
  const key = new Float64Array(n);
  const family = new Uint8Array(n);
  const local: string[] = [];
  const remote: string[] = [];
  const text = (fam: number, a: string, port: number) => (fam === 6 ? `[${a}]:${port}` : `${a}:${port}`);
  for (let i = 0; i < n; i++) {
    const fam = r() < 0.5 ? 4 : 6;
    const lp = ports[Math.floor(r() * ports.length)];
    const rp = ports[Math.floor(r() * ports.length)];
    const lh = hosts[Math.floor(r() * hosts.length)];
    const rh = hosts[Math.floor(r() * hosts.length)];
    family[i] = fam;
    local.push(lh);
    remote.push(rh);
    ch.push({ id: `tcp:${i + 1}`, kind: 'tcp', endpoints: [], family: fam, local: text(fam, lh, lp), remote: text(fam, rh, rp), state: 'ESTAB', recvQueue: 0, sendQueue: 0, inode: i + 1, netns: '1', uid: 0 });
    key[i] = r() < 0.1 ? -1 : lp * 65536 + rp; // -1: not a candidate (a listener, no remote)
  }
  return addr ? { ch, key, addr: { family, local, remote } } : { ch, key };
}

/** The definition: for each candidate in order, the latest other candidate with swapped ends. */
function expected(t: PreparedInet): Array<[string, string]> {
  const cand = t.ch.filter((_, i) => t.key[i] >= 0);
  const out: Array<[string, string]> = [];
  for (const c of cand) {
    for (let j = cand.length - 1; j >= 0; j--) {
      const o = cand[j];
      if (o !== c && same(o.local, c.remote) && same(o.remote, c.local)) {
        out.push([c.id, o.id]);
        break;
      }
    }
  }
  return out;
}

function actual(t: PreparedInet): Array<[string, string]> {
  const p = preparePairs(t, null);
  return p.from.map((c, k) => [c.id, p.to[k].id]);
}

test('pairs match the definition on random tables with colliding ports and addresses', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const t = table(1 + (seed * 37) % 400, seed);
    assert.deepEqual(actual(t), expected(t), `seed ${seed}`);
  }
});

test('without the address columns (a table merged from /proc files) the texts pair the same', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const t = table(1 + (seed * 37) % 400, seed, false);
    assert.deepEqual(actual(t), expected(t), `seed ${seed}`);
  }
  // one table with its columns, one without
  const a = table(120, 5);
  const b = table(120, 6, false);
  const p = preparePairs(a, b);
  assert.deepEqual(p.from.map((c, k) => [c.id, p.to[k].id]), expected({ ch: [...a.ch, ...b.ch], key: Float64Array.from([...a.key, ...b.key]) }));
});

test('a table of 20,000 ends pairs the same', () => {
  const t = table(20000, 7);
  assert.deepEqual(actual(t), expected(t));
});

test('candidates from both families are paired across the two tables', () => {
  const a = table(50, 3);
  const b = table(50, 4);
  const p = preparePairs(a, b);
  const both: PreparedInet = { ch: [...a.ch, ...b.ch], key: Float64Array.from([...a.key, ...b.key]) };
  assert.deepEqual(p.from.map((c, k) => [c.id, p.to[k].id]), expected(both));
  assert.ok(p.from.length > 0);
});

test('an IPv4 client and the IPv6 end a dual-stack listener accepted it on are one connection', () => {
  const end = (id: number, fam: 4 | 6, local: string, remote: string, lp: number, rp: number): [InetChannel, number] => [
    { id: `tcp:${id}`, kind: 'tcp', endpoints: [], family: fam, local, remote, state: 'ESTAB', recvQueue: 0, sendQueue: 0, inode: id, netns: '1', uid: 0 },
    lp * 65536 + rp,
  ];
  const v4 = [end(1, 4, '127.0.0.1:50000', '127.0.0.1:8080', 50000, 8080), end(2, 4, '127.0.0.2:50001', '127.0.0.1:8080', 50001, 8080)];
  const v6 = [
    end(3, 6, '[::ffff:127.0.0.1]:8080', '[::ffff:127.0.0.1]:50000', 8080, 50000),
    // another address: not the other end of tcp:2 (127.0.0.2 → 127.0.0.1, this one → 127.0.0.3)
    end(4, 6, '[::ffff:127.0.0.1]:8080', '[::ffff:127.0.0.3]:50001', 8080, 50001),
  ];
  const t = (ends: Array<[InetChannel, number]>): PreparedInet => ({ ch: ends.map((e) => e[0]), key: Float64Array.from(ends.map((e) => e[1])) });
  const p = preparePairs(t(v4), t(v6));
  assert.deepEqual(
    p.from.map((c, k) => [c.id, p.to[k].id]),
    [
      ['tcp:1', 'tcp:3'],
      ['tcp:3', 'tcp:1'],
    ],
  );
});
