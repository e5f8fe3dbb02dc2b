/**
 * Items in the platform table (key schema of components/global/table.ts: `pk`, `sk`, strings).
 * An item is `pk = item#<id>`, `sk = item`, with its JSON data and the stamp of its last write:
 * the region that wrote it, when, and its version (see docs/items.md for the conflict rules).
 */
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HttpError } from "./http";

export interface Item {
  readonly id: string;
  readonly data: unknown;
  readonly version: number;
  readonly region: string;
  readonly updatedAt: string;
}

export const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export function checkId(id: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new HttpError(400, `item id "${id}" is not allowed (1-128 of A-Z a-z 0-9 . _ -)`);
  }
  return id;
}

export const itemKey = (id: string): Record<string, AttributeValue> => ({
  pk: { S: `item#${id}` },
  sk: { S: "item" },
});

export function encodeItem(item: Item): Record<string, AttributeValue> {
  return {
    ...itemKey(item.id),
    id: { S: item.id },
    data: { S: JSON.stringify(item.data) },
    version: { N: String(item.version) },
    region: { S: item.region },
    updatedAt: { S: item.updatedAt },
  };
}

export function decodeItem(record: Record<string, AttributeValue>): Item {
  return {
    id: record.id?.S ?? "",
    data: JSON.parse(record.data?.S ?? "null") as unknown,
    version: Number(record.version?.N ?? "0"),
    region: record.region?.S ?? "",
    updatedAt: record.updatedAt?.S ?? "",
  };
}

/** A strongly consistent read in this region (a replica's own latest state). */
export async function readItem(
  client: DynamoDBClient,
  tableName: string,
  id: string,
): Promise<Item | undefined> {
  const out = await client.send(
    new GetItemCommand({ TableName: tableName, Key: itemKey(id), ConsistentRead: true }),
  );
  return out.Item ? decodeItem(out.Item) : undefined;
}
