/**
 * Physical names of the fabric's resources, derived from the component name. Kept apart from the
 * Pulumi names (which are the resources' identities) so that either can change on its own.
 */
import { regionCode, type AwsRegion } from "../../lib/regions";

/** The table: one name in every region (a global table's replicas share it). */
export const tableName = (name: string): string => `${name}-global`;

/** The bus: one name in every region, as EventBridge global endpoints require. */
export const busName = (name: string): string => `${name}-events`;

/** The alias of the key in every region (aliases are regional, the name is the same). */
export const keyAlias = (name: string): string => `alias/${name}-fabric`;

/** Repositories live under one prefix, which the registry replication rule filters on. */
export const repositoryPrefix = (name: string): string => `${name}/`;
export const repositoryName = (name: string, service: string): string =>
  `${repositoryPrefix(name)}${service}`;

/**
 * Bucket names are global across all AWS accounts, so they carry the account id; the region code
 * keeps them within the 63-character limit.
 */
export const bucketName = (name: string, region: AwsRegion, accountId: string): string =>
  `${name}-${regionCode(region)}-${accountId}`;

/** The Pulumi name of a child that exists once per region. */
export const perRegion = (name: string, what: string, region: AwsRegion): string =>
  `${name}-${what}-${region}`;

/** The Pulumi name of a child that exists once per ordered pair of regions. */
export const perPair = (name: string, what: string, from: AwsRegion, to: AwsRegion): string =>
  `${name}-${what}-${regionCode(from)}-to-${regionCode(to)}`;

/** The Aurora global database (1-63 letters, digits and hyphens, starting with a letter). */
export const globalClusterName = (name: string): string => `${name}-aurora`;
