-- Sales channels (多渠道): every key belongs to one; orderIds are unique within a channel.
ALTER TABLE "api_keys" ADD COLUMN "channel" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "reservations" ADD COLUMN "channel" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "deductions" ADD COLUMN "channel" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "stock_movements" ADD COLUMN "channel" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "reservations" DROP CONSTRAINT "reservations_order_id_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "reservations_channel_order_key" ON "reservations" USING btree ("channel","order_id");--> statement-breakpoint
ALTER TABLE "deductions" DROP CONSTRAINT "deductions_pkey";--> statement-breakpoint
ALTER TABLE "deductions" ADD CONSTRAINT "deductions_channel_order_id_pk" PRIMARY KEY("channel","order_id");--> statement-breakpoint
DROP INDEX "stock_movements_order_idx";--> statement-breakpoint
CREATE INDEX "stock_movements_order_idx" ON "stock_movements" USING btree ("order_id","channel");
