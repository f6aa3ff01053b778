// A peek leaves another user's socket as its owner had it (red-team finding: recv(MSG_PEEK) on a
// duplicate of the socket takes a pending error — sock_error() clears sk_err — and, once the owner
// has set SO_PEEK_OFF, moves the owner's peek offset). The attacker (uid 65534, fixtures/attacker.c
// `sock-state`) holds such a socket with bytes queued; after two peeks its own SO_ERROR, SO_PEEK_OFF
// and FIONREAD read what they read with no peek (checked on a twin nobody peeks at), and the peek
// says why it did not read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { peekChannel, type BytesPeek } from '../../src/core/actions/peek';
import { compileTools, runAttacker, stopAttacker } from './hostile';

const native = loadNative().addon;
const skip = process.getuid?.() !== 0 ? 'needs root (the socket is another user\'s)' : spawnSync('sh', ['-c', 'command -v cc']).status !== 0 ? 'needs cc' : !native ? 'native addon not loaded' : false;

interface State {
  err: number;
  off: number;
  queued: number;
}

async function stateAfter(mode: string, peeks: number): Promise<{ state: State; notes: string[][] }> {
  const a = runAttacker(await compileTools(), ['sock-state', mode]);
  try {
    const made = JSON.parse(await a.next(`the sock-state ${mode} line`)) as { pid: number; fd: number; inode: number };
    const notes: string[][] = [];
    if (peeks > 0) {
      const snap = await takeSnapshot({ kinds: ['unix', 'udp'] });
      const ch = snap.channels.find((c) => 'inode' in c && c.inode === made.inode);
      assert.ok(ch, `socket ${made.inode} listed`);
      for (let i = 0; i < peeks; i++) {
        const r = (await peekChannel(ch, snap.processes)) as BytesPeek;
        assert.equal(r.type, 'bytes');
        assert.equal(r.data.length, 0, `${mode}: nothing read`);
        notes.push(r.notes);
      }
    }
    a.send('check');
    return { state: JSON.parse(await a.next('the state')) as State, notes };
  } finally {
    await stopAttacker(a);
  }
}

describe('a peek leaves the socket as its owner had it', { skip }, () => {
  for (const [mode, what] of [
    ['udperr', 'a connected UDP socket with ECONNREFUSED pending'],
    ['unixerr', 'a Unix stream socket with ECONNRESET pending and bytes queued'],
    ['peekoff', 'a Unix stream socket whose owner set SO_PEEK_OFF, 10 bytes queued'],
  ] as const) {
    it(`${what}: its pending error, peek offset and queue are what they are with no peek`, async () => {
      const untouched = await stateAfter(mode, 0);
      if (mode === 'peekoff') assert.equal(untouched.state.off, 0, 'the twin: SO_PEEK_OFF 0');
      else assert.notEqual(untouched.state.err, 0, 'the twin: an error pending');
      const peeked = await stateAfter(mode, 2);
      assert.deepEqual(peeked.state, untouched.state);
      for (const n of peeked.notes) assert.ok(n.some((x) => x.startsWith('not peeked: ') && x.includes(mode === 'peekoff' ? 'SO_PEEK_OFF' : 'POLLERR')), JSON.stringify(n));
    });
  }
});
