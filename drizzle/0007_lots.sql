ALTER TYPE "public"."stock_alert_kind" ADD VALUE 'LOT_EXPIRING';--> statement-breakpoint
ALTER TYPE "public"."stock_alert_kind" ADD VALUE 'LOT_EXPIRED';--> statement-breakpoint
ALTER TYPE "public"."movement_type" ADD VALUE 'WRITE_OFF';--> statement-breakpoint
ALTER TYPE "public"."movement_type" ADD VALUE 'LOT_EXPIRY';--> statement-breakpoint
CREATE TABLE "stock_movement_lots" (
	"level_id" integer NOT NULL,
	"version" integer NOT NULL,
	"lot_id" integer NOT NULL,
	"on_hand_delta" integer NOT NULL,
	"reserved_delta" integer NOT NULL,
	CONSTRAINT "stock_movement_lots_level_id_version_lot_id_pk" PRIMARY KEY("level_id","version","lot_id")
);
--> statement-breakpoint
CREATE TABLE "reservation_lots" (
	"reservation_id" bigint NOT NULL,
	"lot_id" integer NOT NULL,
	"level_id" integer NOT NULL,
	"quantity" integer NOT NULL,
	CONSTRAINT "reservation_lots_reservation_id_lot_id_pk" PRIMARY KEY("reservation_id","lot_id"),
	CONSTRAINT "reservation_lots_quantity_positive" CHECK ("reservation_lots"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "stock_lots" (
	"id" serial PRIMARY KEY NOT NULL,
	"level_id" integer NOT NULL,
	"product_id" integer NOT NULL,
	"warehouse_id" integer NOT NULL,
	"code" text NOT NULL,
	"expires_on" date,
	"sell_by" date,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"on_hand" integer DEFAULT 0 NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"expired_at" timestamp with time zone,
	"expiring_alerted" boolean DEFAULT false NOT NULL,
	CONSTRAINT "stock_lots_reserved_within_on_hand" CHECK ("stock_lots"."reserved" >= 0 AND "stock_lots"."reserved" <= "stock_lots"."on_hand")
);
--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "tracks_lots" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "removal_days" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "stock_alerts" ADD COLUMN "lot_id" integer;--> statement-breakpoint
ALTER TABLE "stock_levels" ADD COLUMN "unsellable" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "stock_levels" ADD COLUMN "tracks_lots" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "stock_movements" ADD COLUMN "unsellable_after" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "stock_movement_lots" ADD CONSTRAINT "stock_movement_lots_lot_id_stock_lots_id_fk" FOREIGN KEY ("lot_id") REFERENCES "public"."stock_lots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reservation_lots" ADD CONSTRAINT "reservation_lots_reservation_id_reservations_id_fk" FOREIGN KEY ("reservation_id") REFERENCES "public"."reservations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reservation_lots" ADD CONSTRAINT "reservation_lots_lot_id_stock_lots_id_fk" FOREIGN KEY ("lot_id") REFERENCES "public"."stock_lots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_lots" ADD CONSTRAINT "stock_lots_level_id_stock_levels_id_fk" FOREIGN KEY ("level_id") REFERENCES "public"."stock_levels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_lots" ADD CONSTRAINT "stock_lots_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_lots" ADD CONSTRAINT "stock_lots_warehouse_id_warehouses_id_fk" FOREIGN KEY ("warehouse_id") REFERENCES "public"."warehouses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "stock_lots_level_code_key" ON "stock_lots" USING btree ("level_id","code");--> statement-breakpoint
CREATE INDEX "stock_lots_product_code_idx" ON "stock_lots" USING btree ("product_id","code");--> statement-breakpoint
CREATE INDEX "stock_lots_sell_by_idx" ON "stock_lots" USING btree ("sell_by") WHERE "stock_lots"."expired_at" is null and "stock_lots"."on_hand" > 0;--> statement-breakpoint
ALTER TABLE "stock_levels" ADD CONSTRAINT "stock_levels_unsellable_within_unreserved" CHECK ("stock_levels"."unsellable" >= 0 AND "stock_levels"."reserved" + "stock_levels"."unsellable" <= "stock_levels"."on_hand");--> statement-breakpoint
-- A lot-tracked level equals the sum of its lots, checked at commit (after all of a transaction's writes).
CREATE FUNCTION "stock_check_lot_sums"(lvl integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  l record;
  s record;
BEGIN
  SELECT on_hand, reserved, unsellable, tracks_lots INTO l FROM stock_levels WHERE id = lvl;
  IF NOT FOUND OR NOT l.tracks_lots THEN
    RETURN;
  END IF;
  SELECT coalesce(sum(on_hand), 0) AS on_hand, coalesce(sum(reserved), 0) AS reserved,
         coalesce(sum(on_hand - reserved) FILTER (WHERE expired_at IS NOT NULL), 0) AS unsellable
    INTO s FROM stock_lots WHERE level_id = lvl;
  IF l.on_hand <> s.on_hand OR l.reserved <> s.reserved OR l.unsellable <> s.unsellable THEN
    RAISE EXCEPTION 'stock level % is not the sum of its lots (level %/%/%, lots %/%/%)',
      lvl, l.on_hand, l.reserved, l.unsellable, s.on_hand, s.reserved, s.unsellable USING ERRCODE = 'check_violation';
  END IF;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION "stock_level_lot_sums_trigger"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM stock_check_lot_sums(NEW.id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION "stock_lot_level_sums_trigger"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM stock_check_lot_sums(NEW.level_id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "stock_levels_equal_their_lots" AFTER INSERT OR UPDATE ON "stock_levels"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.tracks_lots) EXECUTE FUNCTION "stock_level_lot_sums_trigger"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "stock_lots_equal_their_level" AFTER INSERT OR UPDATE ON "stock_lots"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "stock_lot_level_sums_trigger"();
