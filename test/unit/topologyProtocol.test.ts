// The topology map's webview → host protocol: every message the (untrusted) webview can post is
// validated field by field before the host looks at it (src/webviews/topology/protocol.ts).
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isHostMessage, validateWebviewMessage } from '../../src/webviews/topology/protocol';

describe('topology protocol: webview → host validation', () => {
  it('accepts ready and inspect of exactly one process or channel', () => {
    assert.deepEqual(validateWebviewMessage({ type: 'ready' }), { ok: true, message: { type: 'ready' } });
    assert.equal(validateWebviewMessage({ type: 'inspect', pid: 812 }).ok, true);
    assert.equal(validateWebviewMessage({ type: 'inspect', channelId: 'pipe:4901' }).ok, true);
    assert.equal(validateWebviewMessage({ type: 'inspect', channelId: 'posix-mq:a name\nwith <b>markup</b>' }).ok, true, 'POSIX names may hold any byte but NUL');
  });

  it('rejects everything else with a reason', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /plain object/],
      [[], /plain object/],
      ['ready', /plain object/],
      [{ type: 'peek', channelId: 'pipe:1' }, /unknown message type/],
      [{ type: 'inspect' }, /exactly one/],
      [{ type: 'inspect', pid: 1, channelId: 'pipe:1' }, /exactly one/],
      [{ type: 'inspect', pid: 0 }, /out of range/],
      [{ type: 'inspect', pid: 4194305 }, /out of range/],
      [{ type: 'inspect', pid: 1.5 }, /integer/],
      [{ type: 'inspect', pid: '812' }, /integer/],
      [{ type: 'inspect', channelId: 'nope:1' }, /malformed/],
      [{ type: 'inspect', channelId: 'pipe:' + 'x'.repeat(600) }, /longer/],
      [{ type: 'inspect', channelId: 'pipe:a\0b' }, /malformed/],
      [{ type: 'inspect', pid: 1, extra: true }, /unexpected field/],
      [JSON.parse('{"type":"ready","__proto__":{"polluted":1}}'), /forbidden key/],
      [Object.assign(Object.create({ inherited: 1 }), { type: 'ready' }), /plain object/],
      [{ type: 'ready', [Symbol('x')]: 1 }, /symbol/],
    ];
    for (const [m, why] of bad) {
      const v = validateWebviewMessage(m);
      assert.equal(v.ok, false, JSON.stringify(m));
      assert.match((v as { reason: string }).reason, why, JSON.stringify(m));
    }
  });

  it('the webview side only takes known host messages', () => {
    assert.equal(isHostMessage({ type: 'full', at: 1, part: 0, parts: 1, processes: [], channels: [] }), true);
    assert.equal(isHostMessage({ type: 'eval', code: 'x' }), false);
    assert.equal(isHostMessage(null), false);
  });
});
