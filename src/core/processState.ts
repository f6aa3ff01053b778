// What a process's one-letter state means when threads are counted too. Pure.

/**
 * A zombie: exited, waiting for its parent to reap it. State Z with threads still running is no
 * zombie: its main thread has exited (pthread_exit), the process lives on in the others, signals
 * still reach them, and no parent can reap it before they end (status says Threads: 1 for a real
 * zombie).
 */
export function isZombie(p: { state: string; threads: number }): boolean {
  return p.state === 'Z' && p.threads <= 1;
}
