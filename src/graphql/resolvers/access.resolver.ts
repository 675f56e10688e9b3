import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { Context } from "../context.js";
import { actorOf } from "../context.js";
import { payload } from "../errors.js";
import { ApiKey, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyPayload } from "../types/api-key.type.js";
import { Principal } from "../types/principal.type.js";

@Resolver()
export class AccessResolver {
  @Authorized("PUBLIC")
  @Query(() => Principal, { nullable: true, description: "Who the caller is; null when anonymous." })
  me(@Ctx() ctx: Context) {
    return ctx.principal;
  }

  @Authorized("ADMIN")
  @Query(() => [ApiKey], { description: "Every API key, revoked ones included, oldest first." })
  apiKeys(@Ctx() ctx: Context) {
    return ctx.services.keys.list();
  }

  @Authorized("ADMIN")
  @Mutation(() => CreateApiKeyPayload, { description: "A new API key: the key is in the answer, this once." })
  createApiKey(@Arg("input", () => CreateApiKeyInput, { description: "Its name, role and channel." }) input: CreateApiKeyInput, @Ctx() ctx: Context) {
    return payload(async () => {
      const { key, record } = await ctx.services.keys.create(input.name, input.role, input.channel, {
        actor: actorOf(ctx),
        idempotencyKey: input.idempotencyKey,
      });
      return { key, apiKey: record };
    }, { key: null, apiKey: null });
  }

  @Authorized("ADMIN")
  @Mutation(() => RevokeApiKeyPayload, { description: "The key stops working at once; open subscriptions made with it are closed within seconds." })
  revokeApiKey(@Arg("name", () => String, { description: "The key's name." }) name: string, @Ctx() ctx: Context) {
    return payload(async () => ({ apiKey: await ctx.services.keys.revoke(name) }), { apiKey: null });
  }
}
