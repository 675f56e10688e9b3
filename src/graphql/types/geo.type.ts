import { Field, Float, InputType, ObjectType } from "type-graphql";

@ObjectType({ description: "A place on Earth: degrees, WGS 84." })
export class GeoPoint {
  @Field(() => Float, { description: "Degrees north (-90 to 90)." })
  latitude!: number;

  @Field(() => Float, { description: "Degrees east (-180 to 180)." })
  longitude!: number;
}

@InputType({ description: "A place on Earth: degrees, WGS 84." })
export class GeoPointInput {
  @Field(() => Float, { description: "Degrees north (-90 to 90)." })
  latitude!: number;

  @Field(() => Float, { description: "Degrees east (-180 to 180)." })
  longitude!: number;
}
