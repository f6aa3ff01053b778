// The actions on IPC objects and processes: peek (non-destructive), signal (pidfd-bound), remove,
// and the confirmation policy shared by every UI.
export * from './errors';
export * from './peek';
export * from './signal';
export * from './policy';
export * from './remove';
