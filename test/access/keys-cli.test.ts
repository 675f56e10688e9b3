// The built keys CLI (`npm run keys -- …` runs dist/scripts/keys.js) as a child
// process, on a fresh PostgreSQL database and on an embedded one.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService } from "../../src/access/api-keys.service.js";
import { openDatabase } from "../../src/db/client.js";
import { projectRoot } from "../../src/paths.js";
import { createTestDatabase, hasRealPostgres, type TestDatabase } from "../support/databases.js";

const CLI = join(projectRoot, "dist", "scripts", "keys.js");

function keysCli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "error", ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const backends = [
  { name: "PostgreSQL (DATABASE_URL)", skip: !hasRealPostgres(), kind: "postgres" as const },
  { name: "embedded PGlite (DATA_DIR)", skip: false, kind: "pglite" as const },
];

describe.each(backends)("keys CLI on $name", ({ skip, kind }) => {
  let env: Record<string, string>;
  let database: TestDatabase | null = null;
  let dataDir: string | null = null;

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: npm run build`).toBe(true);
    if (skip) return;
    if (kind === "postgres") {
      database = await createTestDatabase("keys_cli");
      env = { DATABASE_URL: database.url };
    } else {
      dataDir = mkdtempSync(join(tmpdir(), "stock-keys-cli-"));
      env = { DATA_DIR: dataDir };
    }
  });

  afterAll(async () => {
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(skip)("creates, lists and revokes keys; list never shows a key or its hash", async () => {
    const created = await keysCli(env, "create", "--name", "shop", "--role", "SERVICE");
    expect(created.code, created.stderr).toBe(0);
    const key = /\b(sk_[A-Za-z0-9_-]{43})\b/.exec(created.stdout)?.[1];
    expect(key, created.stdout).toBeDefined();
    expect(created.stdout).toContain('"shop"');

    const viewer = await keysCli(env, "create", "--name", "dashboard", "--role", "viewer");
    expect(viewer.code, viewer.stderr).toBe(0);

    const listed = await keysCli(env, "list");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^NAME\s+ROLE\s+CHANNEL\s+PREFIX\s+CREATED\s+REVOKED$/m);
    expect(listed.stdout).toMatch(/^shop\s+SERVICE\s+default\s+sk_\S+\s+\d{4}-\d\d-\d\dT\S+\s+-$/m);
    expect(listed.stdout).toMatch(/^dashboard\s+VIEWER\s/m);
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toContain(createHash("sha256").update(key!).digest("hex"));
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);

    const revoked = await keysCli(env, "revoke", "--name", "shop");
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await keysCli(env, "list")).stdout).toMatch(/^shop\s+SERVICE\s+default\s+\S+\s+\S+\s+\d{4}-\d\d-\d\dT\S+$/m);
    // Revoking again is harmless.
    expect((await keysCli(env, "revoke", "shop")).code).toBe(0);

    // The server sees what the CLI did: the revoked key is refused, the other one works.
    const db = await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR ?? "./data", poolSize: 1 });
    try {
      const keys = new ApiKeyService(db);
      expect(await keys.authenticate(key)).toEqual({ ok: false, reason: "revoked" });
      const dashboardKey = /\b(sk_[A-Za-z0-9_-]{43})\b/.exec(viewer.stdout)![1];
      expect(await keys.authenticate(dashboardKey)).toMatchObject({ ok: true, actor: { name: "dashboard", role: "VIEWER" } });
    } finally {
      await db.close();
    }
  });

  it.skipIf(skip)("refuses bad input with a message and a non-zero exit", async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /usage: npm run keys/],
      [["frobnicate"], 2, /unknown command "frobnicate"/],
      [["create", "--name", "x"], 2, /--role/],
      [["create", "--role", "ADMIN"], 2, /--name/],
      [["create", "--name", "x", "--role", "ROOT"], 1, /role must be one of VIEWER, SERVICE, ADMIN/],
      [["create", "--name", "bad name; drop table api_keys", "--role", "ADMIN"], 1, /name must be/],
      [["create", "--name", "dup", "--role", "ADMIN"], 0, /Created/],
      [["create", "--name", "dup", "--role", "ADMIN"], 1, /already exists/],
      [["revoke", "--name", "nobody"], 1, /no API key named "nobody"/],
      [["list", "--bogus"], 2, /Unknown option/],
    ];
    for (const [args, code, message] of cases) {
      const r = await keysCli(env, ...args);
      expect(r.code, `keys ${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(code);
      expect(r.stdout + r.stderr, `keys ${args.join(" ")}`).toMatch(message);
      expect(r.stdout + r.stderr, "no stack traces").not.toMatch(/\n\s+at /);
    }
    expect((await keysCli(env, "--help")).code).toBe(0);
  });
});
