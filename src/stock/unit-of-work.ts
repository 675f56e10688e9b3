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

  /** As run(), in a pipelined transaction (see Database.pipelinedTransaction). */
  async runPipelined<T>(work: (tx: Tx, commitWith: CommitWith) => Promise<T>): Promise<T> {
    const result = await this.database.pipelinedTransaction(work);
    for (const l of this.listeners) l();
    return result;
  }

  /** BEGIN goes out with the first statement (see Database.pipelinedTransaction). */
  async run<T>(work: (tx: Tx) => Promise<T>, opts: { writes?: boolean } = {}): Promise<T> {
    const result = await this.database.pipelinedTransaction((tx) => work(tx));
    if (opts.writes !== false) for (const l of this.listeners) l();
    return result;
  }
}
