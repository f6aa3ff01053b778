// DiagHandler: what netlinkSockets.ts, mptcpSockets.ts and rawSockets.ts remember of a sock_diag handler between
// refreshes — a module not loaded is never asked, and a kernel that said it has no handler is not
// asked again until the answer's time is up. The module checks also run against a tree laid out as
// a Debian kernel's (sock_diag handlers as modules, some loaded): this machine's kernel has none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagHandler, kernelHasModule } from '../../src/core/kernelModules';

test('a module this kernel does not have is not-loaded, unless it has no modules at all', () => {
  const name = 'ipci_no_such_module_xyz';
  const h = new DiagHandler(name);
  assert.equal(kernelHasModule(name), !fs.existsSync('/proc/modules'));
  assert.equal(h.state(), fs.existsSync('/proc/modules') ? 'not-loaded' : 'ok');
});

test('after the kernel said it has no handler: no-handler until the answer times out, then asked again', async () => {
  // a module every kernel with sock_diag has (built in or loaded) would do; with no /proc/modules any name does
  const h = new DiagHandler(fs.existsSync('/proc/modules') ? 'unix' : 'anything', 30);
  if (h.state() !== 'ok') return; // (unix a module not loaded here: nothing to ask)
  h.missing();
  assert.equal(h.state(), 'no-handler');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(h.state(), 'ok');
});

/** A distribution kernel's files: `loaded` in /proc/modules, `builtin` in modules.builtin, the diag handlers modules. */
function kernelTree(loaded: string[], builtin: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-modules-'));
  fs.mkdirSync(path.join(root, 'proc'));
  fs.writeFileSync(path.join(root, 'proc/modules'), loaded.map((m) => `${m} 16384 0 - Live 0x0000000000000000`).join('\n') + '\n');
  fs.mkdirSync(path.join(root, 'lib/modules', os.release()), { recursive: true });
  fs.writeFileSync(path.join(root, 'lib/modules', os.release(), 'modules.builtin'), builtin.map((m) => `kernel/net/${m}.ko`).join('\n') + '\n');
  for (const m of loaded) fs.mkdirSync(path.join(root, 'sys/module', m), { recursive: true });
  return root;
}

test('on a kernel whose sock_diag handlers are modules: only the loaded and the built-in ones are ok to ask', async () => {
  const root = kernelTree(['unix_diag', 'inet_diag', 'tcp_diag', 'netlink_diag'], ['packet']);
  try {
    for (const [m, want] of [['netlink_diag', 'ok'], ['packet_diag', 'not-loaded'], ['raw_diag', 'not-loaded'], ['mptcp_diag', 'not-loaded'], ['packet', 'ok']] as const) {
      assert.equal(new DiagHandler(m, 60_000, root).state(), want, m);
    }
    // loaded meanwhile (by ss -0, say): ok once the answer's time is up, never before
    const h = new DiagHandler('packet_diag', 30, root);
    assert.equal(h.state(), 'not-loaded');
    fs.appendFileSync(path.join(root, 'proc/modules'), 'packet_diag 12288 0 - Live 0x0000000000000000\n');
    assert.equal(h.state(), 'not-loaded');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(h.state(), 'ok');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
