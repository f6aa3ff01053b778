// `npm start`: builds, installs code-server into ~/.cache/ipc-inspector on first run, starts the
// demo workload, and serves VS Code (code-server) with the extension loaded on this repository's
// folder. Prints the URL and the login password; `--open` launches Chromium on it. Ctrl-C stops
// everything and the demo removes every object it made.
// The workbench runs a terminal as whoever started it (root, often) on a port every local user
// can reach, so it asks for a password: random, made on the first start, kept in
// ~/.cache/ipc-inspector/login/password (0600, in a 0700 directory) and printed here.
//
//   npm start [-- --open] [--port 8765] [--no-demo] [--folder DIR]
// The extension is loaded the way an installed one is: this repository symlinked into a
// dedicated extensions dir as <publisher>.<name>-<version> (code-server rejects
// --extensionDevelopmentPath; a symlink needs no packaging, so a rebuild + window reload is enough).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (n) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : undefined);
const say = (m) => console.log(`[start] ${m}`);

// 1. build (esbuild: a second or two)
say('building');
if (spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' }).status !== 0) say('build reported failures (see above); continuing with what was built');
if (!fs.existsSync(path.join(root, 'dist/extension.js'))) {
  say('dist/extension.js is missing — cannot start');
  process.exit(1);
}

// 2. code-server, installed once into the cache
const cache = process.env.IPC_INSPECTOR_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'ipc-inspector');
const csVersion = process.env.IPC_CODE_SERVER_VERSION ?? '4.139.1';
if (!fs.existsSync(path.join(cache, `code-server-${csVersion}`, '.complete'))) {
  say(`first run: installing code-server ${csVersion} (VS Code for the browser, ~800 MB) into ${cache} — takes a minute or two, once`);
}
const inst = spawnSync('bash', [path.join(root, 'scripts/install-code-server.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (inst.status !== 0) {
  say('installing code-server failed (see above)');
  process.exit(1);
}

// 3. the login password (before anything runs that would need stopping)
const require = createRequire(import.meta.url);
const { launchCodeServer, loadOrCreatePassword, loginPasswordFile, workbenchUrl } = require(path.join(root, 'dist/test/harness/codeServer.js'));
let passwordFile;
let password;
try {
  passwordFile = loginPasswordFile(cache);
  ({ password } = loadOrCreatePassword(passwordFile));
} catch (e) {
  say(`cannot keep a private login password: ${e.message}`);
  process.exit(1);
}

// 4. the demo workload
let demo;
if (!argv.includes('--no-demo')) {
  say('starting the demo workload (npm run demo)');
  demo = spawn(process.execPath, [path.join(root, 'scripts/demo.mjs')], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  await new Promise((resolve, reject) => {
    let buf = '';
    demo.stdout.on('data', (b) => {
      buf += b;
      for (const line of String(b).split('\n')) if (line && line !== 'IPC-DEMO-READY') console.log(line);
      if (buf.includes('IPC-DEMO-READY')) resolve();
    });
    demo.once('exit', (c) => reject(new Error(`the demo exited (${c}) before it was ready`)));
  }).catch((e) => {
    say(String(e.message));
    process.exit(1);
  });
}

// 5. code-server with the extension
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const extensionsDir = path.join(cache, 'start', 'extensions');
fs.rmSync(extensionsDir, { recursive: true, force: true });
fs.mkdirSync(extensionsDir, { recursive: true });
fs.symlinkSync(root, path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`));
const folder = path.resolve(opt('folder') ?? root);
let cs;
try {
  cs = await launchCodeServer({ folder, extensionsDir, password, port: opt('port') ? Number(opt('port')) : undefined, verbose: argv.includes('--verbose'), handleSignals: false });
} catch (e) {
  say(`code-server failed to start: ${e.message}`);
  await stop(1);
}
const url = workbenchUrl(cs, folder);
console.log(
  `\n  IPC Inspector is running in VS Code at:\n\n    ${url}\n\n` +
    `  Password: ${password}\n  (only you can read it again, in ${passwordFile}; the login page asks for it once per browser)\n\n` +
    `  Open it in a browser, log in, click the IPC Inspector icon in the activity bar.\n` +
    `  Ctrl-C stops VS Code and the demo (every demo object is removed).\n`,
);
say(`code-server started in ${cs.startupMs} ms`);

if (argv.includes('--open')) {
  const browser = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
  if (!browser) say('--open: no Chromium found; open the URL yourself');
  else {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-start-chromium-'));
    const args = [`--user-data-dir=${profile}`, '--no-first-run', '--disable-sync', `--app=${url}`];
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) say('--open: no DISPLAY; Chromium may not be able to show a window');
    const b = spawn(browser, args, { stdio: 'ignore', detached: true });
    b.unref();
    say(`opened ${browser}`);
  }
}

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  say('stopping VS Code and the demo…');
  await cs?.stop().catch(() => undefined);
  if (demo && demo.exitCode === null) {
    const gone = new Promise((r) => demo.once('exit', r));
    demo.kill('SIGINT');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 15000))]);
  }
  say('stopped');
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stop(0));
demo?.on('exit', (c) => {
  if (!stopping) {
    say(`the demo exited (${c}); VS Code keeps running`);
  }
});
cs.proc.on('exit', (c) => {
  if (!stopping) {
    say(`code-server exited (${c})`);
    void stop(1);
  }
});
