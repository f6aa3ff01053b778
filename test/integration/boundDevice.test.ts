// Sockets bound to a network device (SO_BINDTODEVICE, as systemd-resolved's 127.0.0.53%lo:53, or
// an IPv6 link-local address's scope): ss prints the device after the local address
// (`127.0.0.1%lo:PORT`, `[::1]%lo:PORT`). sock_diag says which (idiag_if); the snapshot carries
// it as `device` and shows the local address as ss does. Real sockets of a helper process,
// compared with ss by inode.
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/boundDevice.test.js
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { InetChannel } from '../../src/core/model';
import { localShown } from '../../src/core/kinds/inet';
import { describe as kindOf } from '../../src/core/kinds';
import { loadNative } from '../../src/core/native';
import { takeSnapshot } from '../../src/core/snapshot';
import { python, stopHelpers, type Helper } from './diagnoseUtil';

const hasSs = (() => {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = process.geteuid?.() !== 0 ? 'SO_BINDTODEVICE needs CAP_NET_RAW' : !hasSs ? 'ss is not installed' : false;

describe('sockets bound to a device', { skip }, () => {
  let h: Helper;
  before(async () => {
    // three bound to lo (TCP 4 and 6, UDP 4), one not bound to any device
    h = await python(
      [
        'import socket,sys',
        'def mk(fam, typ, addr, dev):',
        '  s = socket.socket(fam, typ)',
        '  if dev: s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev)',
        '  s.bind((addr, 0))',
        '  if typ == socket.SOCK_STREAM: s.listen(4)',
        '  return s',
        'k = [mk(socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1", b"lo"), mk(socket.AF_INET6, socket.SOCK_STREAM, "::1", b"lo"), mk(socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1", b"lo"), mk(socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1", None)]',
        'print("READY", flush=True)',
        'sys.stdin.read()',
      ].join('\n'),
    );
  });
  after(() => stopHelpers());

  /** ss's local address of each of the helper's sockets, by inode. */
  const ssLocal = (): Map<number, string> => {
    const out = new Map<number, string>();
    for (const proto of ['t', 'u']) {
      for (const line of execFileSync('ss', [`-${proto}anpeH`], { encoding: 'utf8' }).split('\n')) {
        if (!line.includes(`pid=${h.pid},`)) continue;
        const ino = /\bino:(\d+)/.exec(line);
        if (ino) out.set(Number(ino[1]), line.trim().split(/\s+/)[3]);
      }
    }
    return out;
  };

  it('the local address is shown as ss prints it, with the device (sock_diag)', { skip: loadNative().addon ? false : 'native addon not built (sock_diag)' }, async () => {
    const snap = await takeSnapshot({ kinds: ['tcp', 'udp'], pids: [h.pid] });
    const mine = snap.channels.filter((c): c is InetChannel => (c.kind === 'tcp' || c.kind === 'udp') && c.endpoints.some((e) => e.pid === h.pid));
    const ss = ssLocal();
    assert.equal(mine.length, 4, JSON.stringify(mine));
    assert.equal(ss.size, 4, JSON.stringify([...ss]));
    for (const c of mine) assert.equal(localShown(c), ss.get(c.inode), `${c.id}: ${JSON.stringify(c)}`);
    assert.deepEqual(mine.map((c) => c.device ?? '-').sort(), ['-', 'lo', 'lo', 'lo']);
    const v6 = mine.find((c) => c.family === 6)!;
    assert.match(kindOf(v6).name(v6, 200), /^\[::1\]%lo:\d+$/, 'the tree label too');
  });

  it('from /proc/net (no sock_diag): the address without a device, as the file has it', async () => {
    const snap = await takeSnapshot({ kinds: ['tcp', 'udp'], pids: [h.pid], useNative: false });
    const mine = snap.channels.filter((c): c is InetChannel => (c.kind === 'tcp' || c.kind === 'udp') && c.endpoints.some((e) => e.pid === h.pid));
    const ss = ssLocal();
    assert.equal(mine.length, 4);
    for (const c of mine) {
      assert.equal(c.device, undefined);
      assert.equal(c.local, ss.get(c.inode)!.replace(/%[^:\]]+(?=:\d+$)/, ''), c.id);
    }
  });
});
