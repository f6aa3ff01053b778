// What every webview panel of the extension (the inspector, the topology map) sets up the same way:
// the webview options (scripts on, command links off, resources only from dist/), the page that
// loads its bundle under a strict CSP (scripts by a fresh nonce, styles and fonts from the
// extension only, whatever else a panel needs named by it), the icon, and the disposal of its
// registrations (every one, even when one of them throws).
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

export function panelWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
  };
}

export interface PanelPage {
  /** The bundle in dist/ (`webview.js`). */
  script: string;
  /** The page's title. */
  title: string;
  /** CSP directives beyond `default-src 'none'`, the script nonce, style-src and font-src (given the webview's own source). */
  csp?: (cspSource: string) => readonly string[];
  /** Attributes of the `<main id="app">` the bundle renders into (` aria-live="polite"`). */
  mainAttributes?: string;
}

/** The panel's page: its bundle and the codicons, nothing else allowed. */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: PanelPage): string {
  const nonce = crypto.randomBytes(18).toString('base64');
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, page.script));
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicons', 'codicon.css'));
  const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, ...(page.csp?.(webview.cspSource) ?? [])].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons.toString()}" id="vscode-codicon-stylesheet">
<title>${page.title}</title>
</head>
<body>
<main id="app"${page.mainAttributes ?? ''}></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

/** Sets up a new or revived panel: options, icon and page. */
export function initPanel(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, page: PanelPage): void {
  panel.webview.options = panelWebviewOptions(extensionUri);
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'ipc-inspector.svg');
  panel.webview.html = panelHtml(panel.webview, extensionUri, page);
}

/** Disposes every registration, newest first; one that throws does not keep the rest alive. */
export function disposeAll(disposables: vscode.Disposable[]): void {
  while (disposables.length) {
    try {
      disposables.pop()?.dispose();
    } catch {
      /* keep disposing */
    }
  }
}
