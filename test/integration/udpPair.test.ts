// Connected UDP pairs get a peer, as TCP pairs do: two UDP sockets on loopback each connect()ed to
// the other (a daemon linking a worker to a helper) — `ss -u` shows both ESTAB, each remote the
// other's local; the snapshot must link both ends (native and /proc paths).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/udpPair.test.js
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, makeFixture, type Fixture } from '../../fixtures/ipcFixture';
import type { InetChannel } from '../../src/core/model';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';

const made: Fixture[] = [];
after(() => closeAll(made));

describe('connected UDP pairs', () => {
  for (const family of ['6', '4'] as const) {
    for (const useNative of [true, false]) {
      it(`IPv${family}: each end's peer is the other (${useNative ? 'native' : '/proc'})`, { skip: useNative && !loadNative().addon ? 'native addon not built' : false }, async () => {
        const fx = await makeFixture('udp-pair', { family });
        made.push(fx);
        const snap = await takeSnapshot({ kinds: ['udp'], useNative });
        const a = snap.channels.find((c): c is InetChannel => c.kind === 'udp' && c.inode === fx.info.a.inode);
        const b = snap.channels.find((c): c is InetChannel => c.kind === 'udp' && c.inode === fx.info.b.inode);
        assert.ok(a && b, 'both sockets found');
        assert.equal(a.state, 'ESTAB');
        assert.equal(a.local, fx.info.a.local);
        assert.equal(a.remote, b.local);
        assert.equal(a.peer, b.id);
        assert.equal(b.peer, a.id);
        assert.equal(a.peerMatch, undefined, 'a same-namespace pair: no peerMatch');
      });
    }
  }
});
