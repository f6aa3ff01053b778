// Launches Chromium through playwright-core: Debian's /usr/bin/chromium (Playwright's own
// browser download does not work on these machines), headless, in a fresh profile.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export function chromiumPath(): string {
  const candidates = [process.env.IPC_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  throw new Error('No Chromium found: install the Debian package `chromium` (npm test does it when run as root) or set IPC_CHROMIUM');
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { headless?: boolean; viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: opts.headless ?? process.env.IPC_HEADFUL !== '1',
    viewport: opts.viewport ?? { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens `url` (a code-server workbench URL) and logs in the way a person does: code-server sends
 * an unauthenticated visitor to its login page (keeping the query: folder, payload), where the
 * password is typed into the field and sent with Enter; code-server then redirects to the
 * workbench. Throws with the page's error text when the login is refused.
 */
export async function openWorkbench(page: Page, url: string, password: string): Promise<void> {
  await page.goto(url);
  if (!new URL(page.url()).pathname.endsWith('/login')) return; // a session cookie is already set
  const field = page.locator('.login-form input[type="password"]');
  await field.fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: 30_000 }).catch(() => undefined), field.press('Enter')]);
  if (new URL(page.url()).pathname.endsWith('/login')) {
    const error = await page.locator('.login-form .error').textContent({ timeout: 2_000 }).catch(() => null);
    throw new Error(`code-server refused the login: ${error ?? 'still on the login page'}`);
  }
}
