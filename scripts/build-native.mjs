// Builds the native addon (native/) with node-gyp during `npm install`. A failed build must not
// fail the install: the extension and CLI then run on the pure-TypeScript path and say so in
// `capabilities.nativeError`. `--strict` (npm run build:native) makes failures fatal.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

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

const r = spawnSync(process.execPath, [gyp, 'rebuild', '--jobs=max'], { cwd: nativeDir, stdio: 'inherit', env: process.env });
if (r.status !== 0) fail(`node-gyp rebuild failed (exit ${r.status})`);
console.log('[native] built native/build/Release/ipc_inspector.node');
