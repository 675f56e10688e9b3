-- The default warehouse always exists; inputs without a warehouse use it.
INSERT INTO "warehouses" ("code", "name", "priority") VALUES ('MAIN', 'Main warehouse', 0) ON CONFLICT ("code") DO NOTHING;
--> statement-breakpoint
INSERT INTO "relay_state" ("id", "published_up_to") VALUES (1, 0) ON CONFLICT ("id") DO NOTHING;
--> statement-breakpoint
-- The ledger is append-only: corrections are new movements, never edits.
CREATE FUNCTION "stock_ledger_is_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stock ledger rows are never updated or deleted (%)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "stock_movements_append_only" BEFORE UPDATE OR DELETE ON "stock_movements"
  FOR EACH ROW EXECUTE FUNCTION "stock_ledger_is_append_only"();
--> statement-breakpoint
CREATE TRIGGER "stock_alerts_append_only" BEFORE UPDATE OR DELETE ON "stock_alerts"
  FOR EACH ROW EXECUTE FUNCTION "stock_ledger_is_append_only"();
