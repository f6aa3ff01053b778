// The page's handle on the VS Code webview API, typed by the protocol it posts (the inspector's or
// the map's WebviewMessage), so a page can only post messages its host validates.

export interface VsCodeApi<M> {
  postMessage(m: M): void;
  getState(): unknown;
  setState(s: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi<unknown>;

/** Call once per page: VS Code refuses a second acquire. */
export function acquireApi<M>(): VsCodeApi<M> {
  return acquireVsCodeApi() as VsCodeApi<M>;
}
