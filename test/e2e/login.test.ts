// The served VS Code asks for a password. Another local user (nobody, the attacker) who finds the
// port on 127.0.0.1 gets code-server's login page: no workbench page, none of its scripts, no
// websocket to the server (which would give a terminal as the user who started it), and a wrong
// password sets no session. The same requests with the session a correct login gives do reach
// the workbench, so these checks can fail. The page the other e2e tests use logged in through
// the login form (test/harness/browser.ts: openWorkbench).
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { randomUUID } from 'node:crypto';
import { cannotActAsNobody, nodeAsNobody } from '../harness/otherUser';
import { e2e } from './workbench';

/** What a visitor gets, as plain facts; runs here (with a cookie) and, as source, as nobody. */
async function probe(port: number, cookie: string, password: string): Promise<Record<string, unknown>> {
  // Self-contained (no imports from outside): the attacker's copy runs this function's source.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const http_ = require('node:http') as typeof http;
  const net_ = require('node:net') as typeof net;
  const uuid = (require('node:crypto') as { randomUUID: typeof randomUUID }).randomUUID;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const headers = cookie ? { cookie } : {};
  const get = (p: string, method = 'GET', body?: string, extra: Record<string, string> = {}): Promise<{ status: number; location?: string; setCookie?: string[]; body: string }> =>
    new Promise((resolve, reject) => {
      const r = http_.request({ host: '127.0.0.1', port, method, path: p, headers: { ...headers, ...extra } }, (m) => {
        let b = '';
        m.on('data', (d) => (b += d));
        m.on('end', () => resolve({ status: m.statusCode ?? 0, location: m.headers.location, setCookie: m.headers['set-cookie'], body: b }));
      });
      r.on('error', reject);
      if (body) r.write(body);
      r.end();
    });
  const upgrade = (): Promise<string> =>
    new Promise((resolve) => {
      const s = net_.connect(port, '127.0.0.1', () =>
        s.write(
          `GET /?reconnectionToken=${uuid()}&reconnection=false&skipWebSocketFrames=false HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
            `Origin: http://127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
            `Sec-WebSocket-Version: 13\r\n${cookie ? `Cookie: ${cookie}\r\n` : ''}\r\n`,
        ),
      );
      let b = '';
      s.on('data', (d) => {
        b += d;
        if (b.includes('\r\n')) s.destroy();
      });
      s.on('close', () => resolve(b.split('\r\n')[0] || 'closed without an answer'));
      s.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
    });
  const root = await get('/?folder=%2F');
  const workbench = /workbench-web-configuration/.test(root.body);
  // The workbench script's path, from the page a logged-in user gets (fixed per build).
  const script = /src="\.?\/?([^"]*\/workbench\/workbench\.js)"/.exec(root.body)?.[1] ?? null;
  const login = await get('/login');
  const wrong = password ? await get('/login', 'POST', `password=${encodeURIComponent(password)}`, { 'content-type': 'application/x-www-form-urlencoded' }) : null;
  return {
    rootStatus: root.status,
    rootLocation: root.location ?? null,
    workbench,
    script,
    loginForm: /<input[^>]*type="password"/.test(login.body),
    loginWorkbench: /workbench-web-configuration/.test(login.body),
    websocket: await upgrade(),
    wrongPasswordCookie: wrong ? (wrong.setCookie ?? []).some((c) => c.startsWith('code-server-session=')) : null,
    wrongPasswordWorkbench: wrong ? /workbench-web-configuration/.test(wrong.body) : null,
  };
}

/** GETs `p` with optional headers; status only. */
function status(port: number, p: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, headers }, (m) => {
      m.resume();
      resolve(m.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** Logs in with the form's POST, as the page does; returns the session cookie. */
function logIn(port: number, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (m) => {
        m.resume();
        const c = (m.headers['set-cookie'] ?? []).find((x) => x.startsWith('code-server-session='));
        if (m.statusCode === 302 && c) resolve(c.split(';')[0]);
        else reject(new Error(`login answered ${m.statusCode} without a session cookie`));
      },
    );
    r.on('error', reject);
    r.end(`password=${encodeURIComponent(password)}`);
  });
}

describe('login on the served VS Code', function () {
  this.timeout(60_000);
  let withSession: Record<string, unknown> = {};

  before(async () => {
    const { port, password } = e2e().codeServer;
    withSession = await probe(port, await logIn(port, password), '');
  });

  it('with the password: the workbench page, its scripts and the websocket (so the checks below can fail)', async () => {
    const { port, password } = e2e().codeServer;
    assert.equal(withSession.rootStatus, 200);
    assert.equal(withSession.workbench, true);
    assert.match(String(withSession.websocket), / 101 /);
    assert.ok(withSession.script, 'no workbench script on the page');
    assert.equal(await status(port, `/${withSession.script}`, { cookie: await logIn(port, password) }), 200);
  });

  it('another user (nobody) who finds the port gets the login page: no workbench, no scripts, no websocket, no session for a wrong password', async function () {
    const skip = cannotActAsNobody();
    if (skip) {
      console.log(`      skipped: ${skip}`);
      this.skip();
    }
    const { port } = e2e().codeServer;
    const r = nodeAsNobody(`(${probe.toString()})(${port}, '', 'guessed-password').then((x) => console.log(JSON.stringify(x)), (e) => { console.error(e); process.exit(1); })`);
    assert.equal(r.status, 0, r.stderr);
    const asNobody = JSON.parse(r.stdout);
    assert.equal(asNobody.rootStatus, 302, 'the workbench URL did not send nobody to the login page');
    assert.match(String(asNobody.rootLocation), /login/);
    assert.equal(asNobody.workbench, false);
    assert.equal(asNobody.loginForm, true);
    assert.equal(asNobody.loginWorkbench, false);
    assert.match(asNobody.websocket, /^HTTP\/1\.1 401 /, 'the websocket to the server answered nobody');
    assert.equal(asNobody.wrongPasswordCookie, false);
    assert.equal(asNobody.wrongPasswordWorkbench, false);
    const script = `/${withSession.script}`;
    const s = nodeAsNobody(`require('node:http').get({ host: '127.0.0.1', port: ${port}, path: ${JSON.stringify(script)} }, (m) => { console.log(m.statusCode); m.resume(); })`);
    assert.equal(s.stdout.trim(), '401', `nobody fetched ${script}`);
  });
});
