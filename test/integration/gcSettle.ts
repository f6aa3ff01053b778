// For the child processes that measure what memory is given back (mallocChild, blockPoolChild),
// run with --expose-gc: a few full collections with pauses between them, since ArrayBuffer
// backing stores (external ones too) are freed by V8's sweeper, which may run on another thread.

/** The process's gc (node --expose-gc), or undefined. */
export const gc = (globalThis as { gc?: () => void }).gc;

/** Collects five times, 20 ms apart. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
}
