// Bundles every entry point with esbuild into dist/: the extension, the CLI, the snapshot
// worker, the webview (browser), the bench, and each test file (kept at its relative path).
// Type checking is separate (`npm run typecheck`): esbuild only strips types.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
// `node scripts/build.mjs cli test/unit` builds only entries whose source path contains an argument.
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wanted = (src) => only.length === 0 || only.some((o) => src.includes(o));

function walk(dir, pred) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, pred));
    else if (pred(p)) out.push(p);
  }
  return out;
}

// One copy of each external module a bundle imports. esbuild wraps every `import * as x from
// 'vscode'` (or 'node:fs', …) of an external CommonJS module in a __toESM copy of its own: a getter
// closure per export in each importing file. The extension bundle made 55 copies of the VS Code API
// (~400 exports each: 22.8k closures, ~3 MiB of the extension host's heap, built at activation) and
// 30 of node:fs. An internal module that re-exports the real one is copied once. Not for
// node:assert, whose default export the tests import.
const ONE_COPY = /^(vscode|node:[a-z_]+(\/[a-z_]+)?)$/;
const oneCopy = {
  name: 'one-copy',
  setup(b) {
    b.onResolve({ filter: ONE_COPY }, (a) =>
      a.path.startsWith('node:assert') ? undefined : a.namespace === 'one-copy' ? { path: a.path, external: true } : { path: a.path, namespace: 'one-copy' },
    );
    b.onLoad({ filter: /.*/, namespace: 'one-copy' }, (a) => ({ contents: `export * from ${JSON.stringify(a.path)};`, loader: 'js' }));
  },
};

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['vscode', 'mocha', 'playwright-core', '*.node'],
};

const exists = (p) => fs.existsSync(path.join(root, p));
const nodeEntries = [
  ['src/extension.ts', 'dist/extension.js'],
  ['src/cli.ts', 'dist/cli.js'],
  ['src/core/snapshotWorker.ts', 'dist/snapshotWorker.js'],
  ['bench/bench.ts', 'dist/bench.js'],
  ['bench/topology.ts', 'dist/bench-topology.js'],
].filter(([src]) => exists(src));

// Tests and harness files: every .ts under test/ except fixtures written in other languages.
const testEntries = walk(path.join(root, 'test'), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))
  .map((p) => [path.relative(root, p), path.join('dist', path.relative(root, p)).replace(/\.ts$/, '.js')]);

const builds = [];
for (const [src, out] of [...nodeEntries, ...testEntries]) {
  if (!wanted(src)) continue;
  // the shipped bundles (and the bench) only: a test may hand a function's source to another
  // process (`node -e`, as another user), where the one-copy module's lazy init is not defined
  const shipped = nodeEntries.some(([s]) => s === src);
  builds.push({ ...nodeCommon, ...(shipped ? { plugins: [oneCopy] } : {}), entryPoints: [path.join(root, src)], outfile: path.join(root, out) });
}
if (exists('webview/main.ts') && wanted('webview/main.ts')) {
  builds.push({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: 'linked',
    logLevel: 'warning',
    entryPoints: [path.join(root, 'webview/main.ts')],
    outfile: path.join(root, 'dist/webview.js'),
    loader: { '.css': 'text' },
  });
}

// The topology map (webview/topology): its layout worker is bundled first, then embedded in the
// page's bundle as text (a webview may only start a worker from a blob: URL of its own code).
let topologyBuild = null;
if (exists('webview/topology/main.ts') && wanted('webview/topology/main.ts')) {
  topologyBuild = async () => {
    const browser = { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', logLevel: 'warning', loader: { '.css': 'text' } };
    const w = await esbuild.build({ ...browser, entryPoints: [path.join(root, 'webview/topology/worker.ts')], write: false, minify: true });
    await esbuild.build({
      ...browser,
      sourcemap: 'linked',
      entryPoints: [path.join(root, 'webview/topology/main.ts')],
      outfile: path.join(root, 'dist/topology.js'),
      define: { __TOPOLOGY_WORKER__: JSON.stringify(w.outputFiles[0].text) },
    });
  };
}

const started = Date.now();
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
  console.log(`[build] watching ${builds.length} entry points`);
} else {
  // One broken entry must not stop the others from building (several people work at once).
  const results = await Promise.allSettled([...builds.map((b) => esbuild.build(b)), ...(topologyBuild ? [topologyBuild()] : [])]);
  const failed = results
    .map((r, i) => (r.status === 'rejected' ? (i < builds.length ? path.relative(root, builds[i].entryPoints[0]) : 'webview/topology/main.ts') : null))
    .filter(Boolean);
  if (failed.length) process.exitCode = 1;
  // codicons for the webview (font + css), copied so localResourceRoots can stay within dist/
  const codicons = path.join(root, 'node_modules/@vscode/codicons/dist');
  if (fs.existsSync(codicons)) {
    fs.mkdirSync(path.join(root, 'dist/codicons'), { recursive: true });
    for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(codicons, f), path.join(root, 'dist/codicons', f));
  }
  const total = builds.length + (topologyBuild ? 1 : 0);
  console.log(`[build] ${total - failed.length}/${total} bundles in ${Date.now() - started} ms` + (failed.length ? `; FAILED: ${failed.join(', ')}` : ''));
}
