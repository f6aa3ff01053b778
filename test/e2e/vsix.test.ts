// Packaging: `npm run package` builds the .vsix, code-server installs it with
// --install-extension, and the installed extension (not the workspace copy) activates and shows
// its views. Brings its own code-server; run with `node dist/test/harness/runE2e.js --grep-file vsix`.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser, openWorkbench } from '../harness/browser';
import { codeServerCli, launchCodeServer, repoRoot } from '../harness/codeServer';
import { runExtensionTests } from '../harness/runExtensionTests';
import { openContainer, poll, screenshot, viewRows, waitForWorkbench } from './workbench';

const extensionPath = path.resolve(process.env.IPC_EXTENSION_PATH ?? repoRoot);
const pkg = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8'));
const extId = `${pkg.publisher}.${pkg.name}`;

describe('vsix', function () {
  this.timeout(300_000);
  let vsix = '';
  const extensionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-vsix-exts-'));
  after(() => fs.rmSync(extensionsDir, { recursive: true, force: true }));

  it('npm run package builds ipc-inspector-linux-x64.vsix without sources or tests', () => {
    if (extensionPath === repoRoot) {
      execFileSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
      vsix = path.join(repoRoot, 'ipc-inspector-linux-x64.vsix');
    } else {
      vsix = path.join(os.tmpdir(), 'ipc-inspector-test-linux-x64.vsix');
      execFileSync(path.join(repoRoot, 'node_modules/.bin/vsce'), ['package', '--target', 'linux-x64', '--out', vsix], {
        cwd: extensionPath,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    }
    assert.ok(fs.existsSync(vsix), `${vsix} was not produced`);
    const files = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const bad = files.filter((f) => /^extension\/(src|test|dist\/test|webview|native\/src)\//.test(f) || /\.ts$/.test(f) && !f.endsWith('.d.ts'));
    assert.deepEqual(bad, [], 'sources or tests inside the vsix');
    assert.ok(files.includes('extension/package.json') && files.includes('extension/dist/extension.js'), 'manifest or bundle missing');
    const mb = fs.statSync(vsix).size / 1e6;
    assert.ok(mb < 20, `vsix is ${mb.toFixed(1)} MB`);
    console.log(`      ${path.basename(vsix)}: ${files.length} files, ${mb.toFixed(2)} MB` +
      (files.some((f) => f.endsWith('.node')) ? ', native addon inside' : ', no native addon (pure-TypeScript path)'));
  });

  it('installs into code-server with --install-extension', () => {
    assert.ok(vsix, 'no vsix (packaging failed)');
    codeServerCli(['--extensions-dir', extensionsDir, '--install-extension', vsix]);
    const list = codeServerCli(['--extensions-dir', extensionsDir, '--list-extensions']);
    assert.match(list, new RegExp(`^${extId.replace('.', '\\.')}$`, 'm'));
  });

  it('the installed extension activates and registers its commands and views (tests in its extension host)', async () => {
    // The payload route needs an extensionDevelopmentPath to run tests: point it at the directory
    // --install-extension unpacked the .vsix into, so the installed files are what runs.
    const installed = fs.readdirSync(extensionsDir).find((d) => d.startsWith(`${extId}-`));
    assert.ok(installed, `nothing installed in ${extensionsDir}`);
    const r = await runExtensionTests({
      extensionsDir,
      extensionPath: path.join(extensionsDir, installed),
      grepFile: 'activation',
      timeoutMs: 120_000,
    });
    assert.equal(r.problem, undefined);
    assert.deepEqual(r.failed, []);
    assert.ok(r.passed.length > 0, 'no test ran');
    assert.equal(r.exitCode, 0);
  });

  it('the installed extension shows its views in the browser', async () => {
    const cs = await launchCodeServer({ folder: repoRoot, extensionsDir });
    const browser = await launchBrowser();
    try {
      const page = browser.context.pages()[0] ?? (await browser.context.newPage());
      await openWorkbench(page, `${cs.url}/?folder=${encodeURIComponent(repoRoot)}`, cs.password);
      await waitForWorkbench(page);
      await openContainer(page);
      await poll('rows in the Channels view', async () => (await viewRows(page, 'Channels').count()) > 0, 30_000);
      await screenshot(page, 'vsix-installed');
    } finally {
      await browser.close();
      await cs.stop();
    }
  });
});
