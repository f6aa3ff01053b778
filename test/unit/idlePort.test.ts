// What Free Port says about a port nothing listens on (core/actions/freePort.ts idlePortText):
// "nothing listens" is not "free" — a socket bound and never listening, or a connected UDP socket,
// makes the user's own bind fail, and ss -l / lsof -i / fuser name no listener.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idlePortText, type FreePortResult } from '../../src/core/actions/freePort';
import type { BindResult } from '../../src/core/actions/bindProbe';

const bind = (protocol: 'tcp' | 'udp', free: boolean | null, error?: string): BindResult => ({ protocol, family: 4, address: '0.0.0.0', port: 4000, netns: '4026531833', free, method: 'in-process', ...(error ? { error } : {}) });
const result = (b: BindResult[], otherSockets: FreePortResult['otherSockets'] = [], udpLite: FreePortResult['udpLite'] = []): FreePortResult => ({
  port: 4000, protocol: null, listeners: [], stops: [], bind: b, remaining: [], otherSockets, udpLite,
  free: b.some((x) => x.free === false) ? false : b.every((x) => x.free === true) ? true : null,
});
const label = (pid: number) => `srv[${pid}]`;

describe('Free Port on a port nothing listens on', () => {
  test('free: said so, with the binds that prove it', () => {
    assert.equal(idlePortText(result([bind('tcp', true), bind('udp', true)]), label), 'Nothing listens on port 4000, and it is free: a bind on tcp 0.0.0.0:4000 and udp 0.0.0.0:4000 succeeded.');
  });

  test('both wildcards of both protocols: one list, the last joined by "and"', () => {
    const six = (protocol: 'tcp' | 'udp', free: boolean): BindResult => ({ ...bind(protocol, free), family: 6, address: '::' });
    assert.equal(
      idlePortText(result([bind('tcp', true), six('tcp', true), bind('udp', true), six('udp', true)]), label),
      'Nothing listens on port 4000, and it is free: a bind on tcp 0.0.0.0:4000, tcp [::]:4000, udp 0.0.0.0:4000 and udp [::]:4000 succeeded.',
    );
    assert.match(idlePortText(result([bind('tcp', true), six('tcp', false)]), label), /not free: a bind on tcp \[::\]:4000 fails \(/);
    assert.match(idlePortText(result([bind('tcp', false), six('tcp', false)]), label), /not free: a bind on tcp 0\.0\.0\.0:4000 and tcp \[::\]:4000 fail \(/);
  });

  test('a TCP socket bound and not listening: not free, which bind fails, and who holds it', () => {
    const t = idlePortText(result([bind('tcp', false, 'EADDRINUSE'), bind('udp', true)], [{ id: 'tcp:99', local: '0.0.0.0:4000', remote: '0.0.0.0:*', state: 'UNCONN', netns: 'n', pids: [812] }]), label);
    assert.equal(t, 'Nothing listens on port 4000, but it is not free: a bind on tcp 0.0.0.0:4000 fails (address in use). Bound to it: tcp 0.0.0.0:4000 (bound, not listening) by srv[812]. Stop that process to free the port.');
  });

  test('a connected UDP socket: named with its peer', () => {
    const t = idlePortText(result([bind('tcp', true), bind('udp', false, 'EADDRINUSE')], [{ id: 'udp:7', local: '127.0.0.1:4000', remote: '127.0.0.1:9', state: 'ESTAB', netns: 'n', pids: [] }]), label);
    assert.match(t, /a bind on udp 0\.0\.0\.0:4000 fails \(address in use\)\. Bound to it: udp 127\.0\.0\.1:4000 \(connected to 127\.0\.0\.1:9\) by no readable process\./);
  });

  test('busy with no socket the scan lists: says that ss, lsof and fuser do not list it either', () => {
    assert.match(idlePortText(result([bind('tcp', false, 'EADDRINUSE'), bind('udp', true)]), label), /not free: .* No socket this scan lists holds it/);
  });

  test("a UDP-Lite socket on the number: named as UDP-Lite's port, not blamed for a failed bind", () => {
    const lite = { channelId: 'udp:5', protocol: 'udp', family: 4, address: '127.0.0.1', port: 4000, local: '127.0.0.1:4000', state: 'UNCONN', netns: 'n', inode: 5, uid: 0, udplite: true, processes: [{ pid: 77 }] } as unknown as FreePortResult['udpLite'][number];
    assert.equal(
      idlePortText(result([bind('tcp', true), bind('udp', true)], [], [lite]), label),
      "Nothing listens on port 4000, and it is free: a bind on tcp 0.0.0.0:4000 and udp 0.0.0.0:4000 succeeded. (udp (UDP-Lite) 127.0.0.1:4000 by srv[77]: UDP-Lite's port 4000, which is not UDP's — left alone.)",
    );
    assert.match(idlePortText(result([bind('udp', false, 'EADDRINUSE')], [], [lite]), label), /No socket this scan lists holds it .* \(udp \(UDP-Lite\) 127\.0\.0\.1:4000 by srv\[77\]: UDP-Lite's port 4000, which is not UDP's — left alone\.\)$/);
  });

  test('a bind that could not run: not called free', () => {
    const t = idlePortText(result([bind('tcp', null, 'EACCES'), bind('udp', true)]), label);
    assert.equal(t, 'Nothing listens on port 4000; whether it is free could not be tested (tcp: EACCES).');
  });
});
