/**
 * Writes of svc-a. Within a region, a write is a conditional put on the version it read (optimistic
 * concurrency: two writers racing on one replica cannot both win; the loser re-reads and retries,
 * or gets 412 when it named the version it expected with If-Match). Across regions, the global
 * table's replication resolves concurrent writes to one item by last writer wins
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html),
 * and the stamp (region, updatedAt, version) on the item shows which write won. docs/items.md.
 */
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { HttpError } from "../../lib/http";
import { encodeItem, readItem, type Item } from "../../lib/items";

/** Re-reads after losing a race within the region before giving up with 409. */
export const MAX_WRITE_ATTEMPTS = 3;

export interface WriteRequest {
  readonly id: string;
  readonly data: unknown;
  /** The version the writer read (If-Match); the write fails with 412 if it changed. */
  readonly expectedVersion?: number;
}

export async function writeItem(
  client: DynamoDBClient,
  tableName: string,
  region: string,
  request: WriteRequest,
  now: () => Date = () => new Date(),
): Promise<Item> {
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await readItem(client, tableName, request.id);
    const currentVersion = current?.version ?? 0;
    if (request.expectedVersion !== undefined && request.expectedVersion !== currentVersion) {
      throw new HttpError(412, `item ${request.id} is at version ${currentVersion}`, {
        version: currentVersion,
      });
    }
    const item: Item = {
      id: request.id,
      data: request.data,
      version: currentVersion + 1,
      region,
      updatedAt: now().toISOString(),
    };
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: encodeItem(item),
          ...(current
            ? {
                ConditionExpression: "version = :read",
                ExpressionAttributeValues: { ":read": { N: String(currentVersion) } },
              }
            : { ConditionExpression: "attribute_not_exists(pk)" }),
        }),
      );
      return item;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      if (request.expectedVersion !== undefined) {
        throw new HttpError(412, `item ${request.id} changed while it was written`);
      }
    }
  }
  throw new HttpError(409, `item ${request.id}: ${MAX_WRITE_ATTEMPTS} concurrent writes won first`);
}

/** `If-Match: "3"` (or 3) -> 3; absent -> undefined. */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const raw = (Array.isArray(header) ? header[0] : header).trim().replace(/^"(.*)"$/, "$1");
  const version = Number(raw);
  if (!Number.isInteger(version) || version < 0) {
    throw new HttpError(400, `If-Match "${raw}" is not an item version (a whole number)`);
  }
  return version;
}
