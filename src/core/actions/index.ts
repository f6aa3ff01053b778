// The actions on IPC objects and processes: peek (non-destructive), signal (pidfd-bound), remove,
// the confirmation policy shared by every UI, where a process comes from, and the one runner
// that applies the policy before a signal or a removal.
export * from './errors';
export * from './peek';
export * from './signal';
export * from './policy';
export * from './origin';
export * from './remove';
export * from './runner';
