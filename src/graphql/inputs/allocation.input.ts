import { Field, InputType } from "type-graphql";
import { AllocationStrategy, SplitPolicy } from "../types/enums.js";
import { GeoPointInput } from "../types/geo.type.js";

@InputType({ description: "How the service chooses warehouses for lines that name none. Lines that name a warehouse are taken from it." })
export class AllocationInput {
  @Field(() => AllocationStrategy, { nullable: true, defaultValue: "PRIORITY", description: "The order in which warehouses are tried." })
  strategy?: AllocationStrategy | null;

  @Field(() => SplitPolicy, { nullable: true, defaultValue: "MINIMIZE", description: "Whether and how an order may be split over warehouses." })
  split?: SplitPolicy | null;

  @Field(() => GeoPointInput, { nullable: true, description: "Where the order ships to (就近发货); needed by NEAREST." })
  shipTo?: GeoPointInput | null;
}
