import { Field } from "type-graphql";

/** The optional idempotency key of a mutation that is not idempotent by an orderId or a reference. */
export function IdempotencyKeyField(): PropertyDecorator {
  return Field(() => String, {
    nullable: true,
    description:
      "Optional, 1-255 characters of your choosing (a UUID). A retry with the same key and input returns the first result instead of applying the change again; the same key with another input is refused (IDEMPOTENCY_KEY_REUSED). Keys are kept 24 hours, per API key.",
  });
}
