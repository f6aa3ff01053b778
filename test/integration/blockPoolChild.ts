// The addon's block pool (native/src/pagealloc.h), in a process of its own so that nothing else
// allocates or frees beside it (native.test.ts): by default it keeps nothing (a one-shot run);
// asked to keep, a unix_diag dump from fresh pages and one from the blocks the first left behind
// must agree on this process's own sockets, and the second must take blocks from the pool; told to
// stop, it gives them back and keeps nothing more, whatever is freed after.
// Needs --expose-gc.
//   node --expose-gc dist/test/integration/blockPoolChild.js
// Prints one JSON line (see main).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { keepWalkBuffers, loadNative, WALK_BUFFER_POOL_BYTES, type UnixDiag } from '../../src/core/native';
import { gc, settle } from './gcSettle';

/** This process's sockets in a dump: the listener and its accepted ends (by name), and their peers. */
function ours(d: UnixDiag, name: string): string[] {
  const named = new Set<number>();
  for (let i = 0; i < d.inode.length; i++) if (d.name[i] === name) named.add(d.inode[i]);
  const rows: string[] = [];
  for (let i = 0; i < d.inode.length; i++) {
    if (!named.has(d.inode[i]) && !named.has(d.peer[i])) continue;
    rows.push([d.inode[i], d.peer[i], d.type[i], d.state[i], d.nameKind[i], d.name[i], d.rqueue[i], d.wqueue[i]].join(' '));
  }
  return rows.sort();
}

async function main(): Promise<void> {
  const addon = loadNative().addon;
  if (!addon?.blockPool || !gc) throw new Error('needs the addon (with blockPool) and --expose-gc');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-pool-'));
  const sock = path.join(dir, 's');
  const server = net.createServer((c) => c.on('error', () => {}).write('x'.repeat(100)));
  await new Promise<void>((r) => server.listen(sock, r));
  const clients = await Promise.all(Array.from({ length: 20 }, () => new Promise<net.Socket>((r) => { const c = net.connect(sock, () => r(c)).on('error', () => {}); c.pause(); })));
  await new Promise((r) => setTimeout(r, 100)); // the servers' writes queued in the clients

  await addon.unixDiag();
  await settle();
  const byDefault = addon.blockPool();
  keepWalkBuffers(true);
  let first: UnixDiag | undefined = await addon.unixDiag();
  const fresh = ours(first, sock);
  first = undefined;
  await settle();
  const kept = addon.blockPool();
  const second = await addon.unixDiag();
  const afterTake = addon.blockPool();
  const reused = ours(second, sock);
  const released = addon.blockPool(false);
  await settle(); // frees the second dump's blocks: a pool told to stop keeps none
  const afterRelease = addon.blockPool();

  // a bound of one column (32,768 doubles: 256 KiB) keeps one column, not the dump's nine
  addon.blockPool(true, 256 << 10);
  await addon.unixDiag();
  await settle();
  const bounded = addon.blockPool();
  // a lower bound applies at once to what is kept
  keepWalkBuffers(true);
  await addon.unixDiag();
  await settle();
  const beforeLowered = addon.blockPool();
  addon.blockPool(true, 256 << 10);
  const lowered = addon.blockPool();
  addon.blockPool(false);

  process.stdout.write(JSON.stringify({ byDefault, kept, afterTake, released, afterRelease, bounded, beforeLowered, lowered, bound: WALK_BUFFER_POOL_BYTES, fresh, reused }) + '\n');
  for (const c of clients) c.destroy();
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
