/**
 * The consistency mode of the DynamoDB global table, validated against what AWS allows.
 *
 * Eventual (MREC, the default): any number of regions, last writer wins. Strong (MRSC): exactly
 * three replicas, or two replicas plus a witness region, all from one MRSC region set.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html
 */
import { MRSC_REGION_SETS, type AwsRegion } from "../../lib/regions";

export const TABLE_CONSISTENCY = ["eventual", "strong"] as const;
export type TableConsistency = (typeof TABLE_CONSISTENCY)[number];

export interface TableConsistencyInput {
  readonly consistency: TableConsistency;
  readonly regions: readonly AwsRegion[];
  readonly witnessRegion?: AwsRegion;
}

export interface TableConsistencyPlan {
  /** The value of every replica's `consistencyMode`, or undefined for the default (eventual). */
  readonly consistencyMode: "STRONG" | undefined;
  readonly witnessRegion: AwsRegion | undefined;
}

const describeSets = (): string =>
  Object.entries(MRSC_REGION_SETS)
    .map(([set, regions]) => `${set}: ${regions.join(", ")}`)
    .join("; ");

/** The MRSC region set that holds every one of `regions`, if there is one. */
export function mrscRegionSet(regions: readonly AwsRegion[]): string | undefined {
  return Object.entries(MRSC_REGION_SETS).find(([, set]) =>
    regions.every((r) => (set as readonly string[]).includes(r)),
  )?.[0];
}

export function validateTableConsistency(input: TableConsistencyInput): TableConsistencyPlan {
  const { consistency, regions, witnessRegion } = input;
  const list = regions.join(", ");
  switch (consistency) {
    case "eventual":
      if (witnessRegion !== undefined) {
        throw new Error(
          `table.witnessRegion is ${witnessRegion}, but a witness is only used with table.consistency "strong"; remove it or set table.consistency to "strong"`,
        );
      }
      return { consistencyMode: undefined, witnessRegion: undefined };
    case "strong": {
      if (regions.length !== 2 && regions.length !== 3) {
        throw new Error(
          `table.consistency "strong" needs three regions, or two plus table.witnessRegion; got ${regions.length} regions (${list})`,
        );
      }
      if (regions.length === 3 && witnessRegion !== undefined) {
        throw new Error(
          `table.consistency "strong" with three regions takes no witness; remove table.witnessRegion (${witnessRegion})`,
        );
      }
      if (regions.length === 2 && witnessRegion === undefined) {
        throw new Error(
          `table.consistency "strong" with two regions (${list}) needs table.witnessRegion, a third region of the same region set (${describeSets()})`,
        );
      }
      if (witnessRegion !== undefined && regions.includes(witnessRegion)) {
        throw new Error(
          `table.witnessRegion ${witnessRegion} is one of the table's regions (${list}); the witness must be a different region`,
        );
      }
      const all = witnessRegion === undefined ? regions : [...regions, witnessRegion];
      if (mrscRegionSet(all) === undefined) {
        throw new Error(
          `table.consistency "strong" needs all regions${witnessRegion === undefined ? "" : " and the witness"} from one region set (${describeSets()}); got ${all.join(", ")}`,
        );
      }
      return { consistencyMode: "STRONG", witnessRegion };
    }
    default: {
      const never: never = consistency;
      throw new Error(
        `table.consistency ${String(never)} is not one of ${TABLE_CONSISTENCY.join(", ")}`,
      );
    }
  }
}
