// A snapshot's bound on what other users' objects may cost it: so much in all, and at most so much
// of it for the processes (or files) of one user, so that one user cannot spend what the others'
// need. Counted in bytes (texts kept: textBounds.ts, as native/src/userbudget.h) or in items
// (path lookups, mount tables read, unheld /dev/shm files listed).

export class UserBudget {
  private left: number;
  private readonly users = new Map<number, number>();

  constructor(
    all: number,
    private readonly user: number,
  ) {
    this.left = all;
  }

  /** Nothing more may be spent for `uid` (-1: not known). */
  spent(uid: number): boolean {
    return this.left <= 0 || (this.users.get(uid) ?? this.user) <= 0;
  }

  spend(uid: number, n: number): void {
    this.left -= n;
    this.users.set(uid, (this.users.get(uid) ?? this.user) - n);
  }
}
