// Colours of the map from VS Code's theme variables (light, dark and high contrast alike), read
// again whenever the theme changes (VS Code rewrites the variables on <html>/<body>).
import type { KindFamily, Severity } from '../../src/core/topology/types';

export interface Theme {
  fg: string;
  muted: string;
  bg: string;
  focus: string;
  selection: string;
  match: string;
  severity: Record<Severity, string>;
  family: Record<KindFamily, string>;
  process: string;
  group: string;
  font: string;
  dark: boolean;
}

function v(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const s = style.getPropertyValue(name).trim();
  return s || fallback;
}

export function readTheme(): Theme {
  const st = getComputedStyle(document.body);
  const dark = document.body.classList.contains('vscode-dark') || document.body.classList.contains('vscode-high-contrast');
  return {
    fg: v(st, '--vscode-foreground', dark ? '#cccccc' : '#333333'),
    muted: v(st, '--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    bg: v(st, '--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff'),
    focus: v(st, '--vscode-focusBorder', '#007fd4'),
    selection: v(st, '--vscode-list-activeSelectionBackground', '#0060c0'),
    match: v(st, '--vscode-editor-findMatchHighlightBackground', 'rgba(234,92,0,0.33)'),
    severity: {
      error: v(st, '--vscode-editorError-foreground', '#f14c4c'),
      warning: v(st, '--vscode-editorWarning-foreground', '#cca700'),
      info: v(st, '--vscode-editorInfo-foreground', '#3794ff'),
    },
    family: {
      pipe: v(st, '--vscode-charts-blue', '#3794ff'),
      socket: v(st, '--vscode-charts-green', '#89d185'),
      queue: v(st, '--vscode-symbolIcon-eventForeground', '#d18616'), // solid in every theme: Dark Modern's charts.orange is a 33% tint
      shm: v(st, '--vscode-charts-purple', '#b180d7'),
      // not charts.yellow, which is the warning ring's colour itself (VS Code defines it as editorWarning.foreground):
      // the terminal's cyan is a colour of its own in every built-in theme (dark #11a8cd, light #0598bc, high contrast #00cdcd)
      sem: v(st, '--vscode-terminal-ansiCyan', dark ? '#11a8cd' : '#0598bc'),
    },
    process: v(st, '--vscode-charts-blue', '#3794ff'),
    group: v(st, '--vscode-charts-purple', '#b180d7'),
    font: v(st, '--vscode-font-family', 'sans-serif'),
    dark,
  };
}

/** Calls `onChange` when VS Code switches the theme (class or style of body/html changes). */
export function watchTheme(onChange: () => void): void {
  const mo = new MutationObserver(() => onChange());
  mo.observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });
}
