// API keys from the command line, without the server:
//   npm run keys -- create --name shop --role SERVICE [--channel tmall]
//   npm run keys -- list
//   npm run keys -- revoke --name shop
import { parseArgs } from "node:util";
import { ApiKeyService } from "../src/access/api-keys.service.js";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/client.js";
import { runMigrations } from "../src/db/migrate.js";
import type { ApiKeyRow } from "../src/db/api-key.queries.js";
import { InputRejected, StockRefusal } from "../src/stock/stock.errors.js";
import type { Role } from "../src/stock/types.js";

const USAGE = `usage: npm run keys -- <command>

  create --name <name> --role VIEWER|SERVICE|ADMIN [--channel <channel>]
      Makes a key and prints it once; only its hash is stored. The name is the
      actor of every change made with the key.
  list
      Every key: name, role, prefix, created, revoked. Never a key or a hash.
  revoke --name <name>
      The key stops working; open WebSocket connections made with it close within seconds.

Works on DATABASE_URL, or on the embedded database in DATA_DIR (default ./data).
The embedded database admits one process at a time: stop the server first, or
use the createApiKey / revokeApiKey mutations (ADMIN key) while it runs.`;

class UsageError extends Error {}

function table(rows: ApiKeyRow[]): string {
  const lines = [
    ["NAME", "ROLE", "CHANNEL", "PREFIX", "CREATED", "REVOKED"],
    ...rows.map((r) => [r.name, r.role, r.channel, `${r.prefix}…`, r.createdAt.toISOString(), r.revokedAt ? r.revokedAt.toISOString() : "-"]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: "string" }, role: { type: "string" }, channel: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const [command, positionalName] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + "\n");
    return values.help ? 0 : 2;
  }
  if (!["create", "list", "revoke"].includes(command)) throw new UsageError(`unknown command "${command}"`);
  const name = values.name ?? positionalName;
  if (command !== "list" && !name) throw new UsageError(`${command} needs --name <name>`);
  if (command === "create" && !values.role) throw new UsageError("create needs --role VIEWER|SERVICE|ADMIN");

  const config = loadConfig();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
  try {
    await runMigrations(database, config.databaseUrl);
    const keys = new ApiKeyService(database);
    if (command === "create") {
      const { key, record } = await keys.create(name!, values.role!.toUpperCase() as Role, values.channel);
      process.stdout.write(`Created the ${record.role} key "${record.name}". It is shown this once; only its hash is kept:\n\n    ${key}\n\n`);
      process.stdout.write(`Call with:  Authorization: Bearer ${record.prefix}…\n`);
    } else if (command === "list") {
      process.stdout.write(table(await keys.list()) + "\n");
    } else {
      const row = await keys.revoke(name!);
      process.stdout.write(`Revoked the ${row.role} key "${row.name}" (at ${row.revokedAt?.toISOString() ?? "-"}).\n`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
    process.stderr.write(`keys: ${err.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (err instanceof InputRejected || err instanceof StockRefusal) {
    process.stderr.write(`keys: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`keys: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
