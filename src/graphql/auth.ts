import { GraphQLError } from "graphql";
import type { AuthChecker } from "type-graphql";
import type { Role } from "../stock/types.js";
import type { Context } from "./context.js";

/** What `@Authorized(...)` takes: a role, or PUBLIC for what anonymous callers may read. */
export type Access = Role | "PUBLIC";

const rank: Record<Role, number> = { VIEWER: 1, SERVICE: 2, ADMIN: 3 };

export function mayAct(role: Role | null, needed: Access, publicRead: boolean): boolean {
  if (needed === "PUBLIC") return publicRead || role !== null;
  return role !== null && rank[role] >= rank[needed];
}

/** UNAUTHENTICATED without a (valid) key, FORBIDDEN with too small a role; `what` names what was refused. */
export function requireAccess(role: Role | null, needed: Access, publicRead: boolean, what = "do this"): void {
  if (mayAct(role, needed, publicRead)) return;
  if (role === null) {
    throw new GraphQLError(`an API key is required to ${what}: send Authorization: Bearer <key>`, {
      extensions: { code: "UNAUTHENTICATED" },
    });
  }
  throw new GraphQLError(`the ${role} role may not ${what}; it needs ${needed}`, { extensions: { code: "FORBIDDEN" } });
}

/** The one auth checker of `@Authorized(...)`. */
export function authChecker(publicRead: boolean): AuthChecker<Context, Access> {
  return ({ context }, roles) => {
    requireAccess(context.principal?.role ?? null, roles[0] ?? "VIEWER", publicRead);
    return true;
  };
}
