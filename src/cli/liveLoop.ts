// The live commands' loop (watch, top, signals): run until Ctrl-C (SIGINT) or SIGTERM, sleeping
// between rounds in a way the signal cuts short, so the command stops at once and its cleanup
// (the tracer, the terminal) still runs. The handlers are removed when the body returns.

export interface LiveLoop {
  /** Ctrl-C or SIGTERM arrived. */
  readonly stopped: boolean;
  /** Waits `ms`, or less when a stop arrives meanwhile. */
  sleep(ms: number): Promise<void>;
}

export async function untilInterrupted<T>(body: (loop: LiveLoop) => Promise<T>): Promise<T> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const loop: LiveLoop = {
    get stopped() {
      return stopped;
    },
    async sleep(ms) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    },
  };
  try {
    return await body(loop);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

