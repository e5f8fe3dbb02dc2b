/**
 * Steps of a `pulumi preview --json` document (op, urn, newState with type and inputs), for the
 * tests of the policy check over previews (the CLI and the portal's POST /api/policy/check).
 */
export const KEY = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";

export const urn = (type: string, name: string) => `urn:pulumi:dev::platform::${type}::${name}`;

export const step = (op: string, type: string, name: string, inputs: Record<string, unknown>) => ({
  op,
  urn: urn(type, name),
  newState: { type, urn: urn(type, name), inputs },
});
