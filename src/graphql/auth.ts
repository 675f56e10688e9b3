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

/** The one auth checker: UNAUTHENTICATED without a (valid) key, FORBIDDEN with too small a role. */
export function authChecker(publicRead: boolean): AuthChecker<Context, Access> {
  return ({ context }, roles) => {
    const needed = roles[0] ?? "VIEWER";
    const role = context.principal?.role ?? null;
    if (mayAct(role, needed, publicRead)) return true;
    if (role === null) {
      throw new GraphQLError("an API key is required: send Authorization: Bearer <key>", {
        extensions: { code: "UNAUTHENTICATED" },
      });
    }
    throw new GraphQLError(`the ${role} role may not do this; it needs ${needed}`, { extensions: { code: "FORBIDDEN" } });
  };
}
