// Text for tree items: Markdown tooltips that never run commands or HTML, and plain labels
// (control characters escaped, bounded). Everything a process controls goes through these.
import * as vscode from 'vscode';
import * as fmt from '../../core/format';
import { escapeMarkdown, truncate } from '../../core/escape';

/** Markdown-escape text, bounded to one tooltip line (core/escape): `**x**`, `<img …>`, `[x](command:…)` render literally. */
export function mdEscape(text: string, max: number = fmt.CAPS.line): string {
  return escapeMarkdown(truncate(text, max));
}

/** A Markdown tooltip that never runs commands or HTML. */
export function safeMarkdown(): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', false);
  md.isTrusted = false;
  md.supportHtml = false;
  md.supportThemeIcons = false;
  return md;
}

/** Plain text safe for a label/description (no control characters; bounded). */
export function plain(text: string, max: number = fmt.CAPS.line): string {
  return fmt.shortText(text, max);
}
