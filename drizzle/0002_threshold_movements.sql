ALTER TYPE "public"."movement_type" ADD VALUE 'THRESHOLD';--> statement-breakpoint
ALTER TABLE "stock_movements" ADD COLUMN "threshold_after" integer;