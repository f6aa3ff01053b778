// Builds the native addons (native/) with node-gyp during `npm install`: the main addon, and the
// BPF addon beside it when the BPF programs compile (scripts/build-bpf.mjs). A failed build must
// not fail the install: without the main addon the extension and CLI run on the pure-TypeScript
// path and say so in `capabilities.nativeError`; without the BPF addon the fd walk reads /proc
// and `capabilities.walk` says why. `--strict` (npm run build:native) makes main-addon failures fatal.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { markBpfFailed, prepareBpf } from './build-bpf.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const nativeDir = path.join(root, 'native');

function fail(msg) {
  if (strict) {
    console.error(`[native] ${msg}`);
    process.exit(1);
  }
  console.warn(`[native] ${msg}\n[native] continuing without the native addon: IPC Inspector will use its pure-TypeScript path.`);
  process.exit(0);
}

if (process.platform !== 'linux') fail(`skipped: the addon is Linux-only (this is ${process.platform})`);
if (!fs.existsSync(path.join(nativeDir, 'binding.gyp'))) fail('native/binding.gyp is missing');

let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = process.env.npm_config_node_gyp;
}
if (!gyp || !fs.existsSync(gyp)) fail('node-gyp not found (it is a devDependency; run npm install)');

const nodeGyp = (...args) => spawnSync(process.execPath, [gyp, ...args], { cwd: nativeDir, stdio: 'inherit', env: process.env }).status === 0;

/** clean → (BPF programs into build/bpf) → configure → build, like `node-gyp rebuild` with a step in the middle. */
function build(withBpf) {
  if (!nodeGyp('clean')) return { ok: false, step: 'clean' };
  const bpf = withBpf ? prepareBpf({ nativeDir }) : { enabled: false };
  if (!nodeGyp('configure', `--ipci_bpf=${bpf.enabled ? 1 : 0}`)) return { ok: false, step: 'configure', bpf };
  if (!nodeGyp('build', '--jobs=max')) return { ok: false, step: 'build', bpf };
  return { ok: true, bpf };
}

let r = build(true);
if (!r.ok && r.bpf?.enabled) {
  // The BPF addon (or something it needs) broke the build: build the main addon alone.
  console.warn('[native] the build with the BPF addon failed; building without it');
  r = build(false);
  if (r.ok) markBpfFailed(nativeDir, 'the BPF addon failed to compile or link (see the npm install log)');
}
if (!r.ok) fail(`node-gyp ${r.step} failed`);
console.log('[native] built native/build/Release/ipc_inspector.node');
if (r.bpf?.enabled) console.log('[native] built native/build/Release/ipc_inspector_bpf.node');
