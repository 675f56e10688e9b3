ALTER TABLE "warehouses" ADD COLUMN "latitude" double precision;--> statement-breakpoint
ALTER TABLE "warehouses" ADD COLUMN "longitude" double precision;