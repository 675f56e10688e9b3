import type { CommitWith, Database, Tx } from "../db/client.js";

/**
 * Runs `work` in one transaction and, only once it has committed, tells the
 * listener that the ledger grew: a rollback tells nobody.
 */
export class UnitOfWork {
  private listeners: Array<() => void> = [];

  constructor(readonly database: Database) {}

  onCommit(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * BEGIN goes out with the first statement, and `work` may end with
   * `commitWith(lastWrites)`, which sends COMMIT along with them (see
   * Database.pipelinedTransaction): nothing may follow it.
   */
  async run<T>(work: (tx: Tx, commitWith: CommitWith) => Promise<T>, opts: { writes?: boolean } = {}): Promise<T> {
    const result = await this.database.pipelinedTransaction(work);
    if (opts.writes !== false) for (const l of this.listeners) l();
    return result;
  }
}
