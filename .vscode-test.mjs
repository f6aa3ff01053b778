// `npm run test:desktop`: the same extension tests (dist/test/extension/*.test.js) in desktop
// VS Code, downloaded by @vscode/test-electron — for machines where that download works (it does
// not on the CI machines; there `npm test` runs them in code-server instead). Needs a display
// (or `xvfb-run -a npm run test:desktop`). One file: `npx vscode-test --run dist/test/extension/views.test.js`;
// one test: `npx vscode-test --grep "activates"`.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'extension',
  files: 'dist/test/extension/*.test.js',
  version: process.env.IPC_VSCODE_VERSION ?? 'stable',
  workspaceFolder: '.',
  mocha: { ui: 'bdd', timeout: 20000, color: true },
  launchArgs: ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
});
