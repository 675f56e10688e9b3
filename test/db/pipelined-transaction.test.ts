import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase, StatementAfterCommit } from "../../src/db/client.js";
import { createTestDatabase, hasRealPostgres, type TestDatabase } from "../support/databases.js";

describe.skipIf(!hasRealPostgres())("pipelined transactions (COMMIT sent with the last writes)", () => {
  let tdb: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    tdb = await createTestDatabase("pipelined");
    database = await openDatabase({ url: tdb.url, dataDir: "unused", poolSize: 3 });
    await database.rows(sql`create table t (id int primary key, note text not null)`);
  });
  afterAll(async () => {
    await database?.close();
    await tdb?.drop();
  });
  const ids = async () => (await database.rows<{ id: number }>(sql`select id from t order by id`)).map((r) => r.id);
  const insert = (tx: Parameters<Parameters<Database["pipelinedTransaction"]>[0]>[0], id: number, note: string | null = "x") =>
    tx.execute(sql`insert into t (id, note) values (${id}, ${note})`);

  it("commits what came before and the last writes together", async () => {
    const result = await database.pipelinedTransaction(async (tx, commitWith) => {
      await insert(tx, 1);
      return commitWith(() => Promise.all([insert(tx, 2), insert(tx, 3)]).then(() => "done"));
    });
    expect(result).toBe("done");
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it("a last write the database refuses rolls everything back", async () => {
    await expect(
      database.pipelinedTransaction(async (tx, commitWith) => {
        await insert(tx, 10);
        return commitWith(() => Promise.all([insert(tx, 11), insert(tx, 1 /* taken */), insert(tx, 12)]));
      }),
    ).rejects.toThrow();
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it("a last write that fails before reaching the database rolls everything back", async () => {
    await expect(
      database.pipelinedTransaction(async (tx, commitWith) => {
        await insert(tx, 20);
        return commitWith(() => Promise.all([insert(tx, 21), Promise.reject(new Error("built badly"))]));
      }),
    ).rejects.toThrow("built badly");
    await expect(
      database.pipelinedTransaction(async (tx, commitWith) => {
        await insert(tx, 22);
        return commitWith(() => {
          throw new Error("threw at once");
        });
      }),
    ).rejects.toThrow("threw at once");
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it("refuses a statement issued after the COMMIT went out, rather than run it outside the transaction", async () => {
    await expect(
      database.pipelinedTransaction(async (tx, commitWith) =>
        commitWith(async () => {
          await insert(tx, 30);
          await insert(tx, 31); // a round trip later: after the COMMIT
        }),
      ),
    ).rejects.toSatisfy((e: Error) => e.cause instanceof StatementAfterCommit); // drizzle wraps what the driver threw
    expect(await ids()).toEqual([1, 2, 3, 30]);
  });

  it("work that fails before commitWith rolls back, and a transaction without commitWith commits at its end", async () => {
    await expect(
      database.pipelinedTransaction(async (tx) => {
        await insert(tx, 40);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    await database.pipelinedTransaction(async (tx) => {
      await insert(tx, 41);
    });
    expect(await ids()).toEqual([1, 2, 3, 30, 41]);
  });
});
