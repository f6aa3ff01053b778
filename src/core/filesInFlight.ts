// Unix sockets' files in flight (fdinfo's scm_fds: files sent with SCM_RIGHTS and not received
// yet), as the BPF walk's pass reads them for the diagnosis: the snapshot fills it in, the
// diagnosis reads it (SnapshotOptions.filesInFlight, Diagnoser.snapshotOptions).

/** Unix sockets' files in flight as the BPF walk's pass read them (SnapshotOptions.filesInFlight). */
export interface FilesInFlight {
  /**
   * The pass read every Unix socket a process holds, listeners aside (their queues hold
   * connections): one missing from `counts` has none waiting. False where it read none (the /proc
   * walk, a kernel without the count: < 5.7).
   */
  complete: boolean;
  /** Socket inode → how many files wait in it, for those with any. */
  counts: Map<number, number>;
}

/** What a caller hands takeSnapshot to be filled in (nothing read yet). */
export function newFilesInFlight(): FilesInFlight {
  return { complete: false, counts: new Map() };
}
