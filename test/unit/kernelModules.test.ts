// DiagHandler: what netlinkSockets.ts, mptcpSockets.ts and rawSockets.ts remember of a sock_diag handler between
// refreshes — a module not loaded is never asked, and a kernel that said it has no handler is not
// asked again until the answer's time is up. raw_diag and packet_diag (rawSockets.ts) are asked
// without looking for their modules: only the kernel's answer is remembered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
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

test('a handler whose module is not looked for (raw_diag, packet_diag): ok, and no-handler only while the kernel\'s answer stands', async () => {
  const h = new DiagHandler(null, 30);
  assert.equal(h.state(), 'ok');
  h.missing();
  assert.equal(h.state(), 'no-handler');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(h.state(), 'ok');
});
