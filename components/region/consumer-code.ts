/**
 * The Lambda consumer's deployment package, built from the tested TypeScript source at deploy
 * time. The handler is one self-contained file whose only runtime dependency (the AWS SDK v3)
 * ships with every Node.js Lambda runtime, so a transpile is enough: no bundler, and no second,
 * hand-kept JavaScript copy that could drift from the code the tests run. `typescript` is
 * present wherever this program runs, since Pulumi's Node.js runtime compiles the program with it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";

export const CONSUMER_SOURCE = path.join(
  __dirname,
  "..",
  "..",
  "functions",
  "consumer",
  "handler.ts",
);

/** The handler as CommonJS for the Lambda runtime (`index.handler`). */
export function transpileConsumer(source = CONSUMER_SOURCE): string {
  const result = ts.transpileModule(readFileSync(source, "utf8"), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      removeComments: false,
    },
    fileName: path.basename(source),
    reportDiagnostics: true,
  });
  const errors = result.diagnostics ?? [];
  if (errors.length > 0) {
    throw new Error(
      `cannot transpile ${source}: ${ts.flattenDiagnosticMessageText(errors[0].messageText, "\n")}`,
    );
  }
  return result.outputText;
}

export function consumerArchive(): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(transpileConsumer()),
  });
}
