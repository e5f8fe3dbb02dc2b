/**
 * Optional HTTP API in front of the ALB (`ingress.apiGateway`): throttling and API keys' home
 * when a workload needs them. It proxies to the regional name over HTTPS, so the ALB stays the
 * one TLS-terminating origin; DNS keeps pointing at the ALB (a custom domain for the API is a
 * follow-up, see the report of issue 3).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ApiGatewayArgs {
  regionalName: string;
  kmsKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
}

export function createApiGateway(
  name: string,
  args: ApiGatewayArgs,
  parent: pulumi.Resource,
): aws.apigatewayv2.Api {
  const opts = { parent };
  const api = new aws.apigatewayv2.Api(`${name}-api`, { protocolType: "HTTP" }, opts);
  const integration = new aws.apigatewayv2.Integration(
    `${name}-api`,
    {
      apiId: api.id,
      integrationType: "HTTP_PROXY",
      integrationMethod: "ANY",
      integrationUri: `https://${args.regionalName}/{proxy}`,
      payloadFormatVersion: "1.0",
    },
    opts,
  );
  new aws.apigatewayv2.Route(
    `${name}-api`,
    {
      apiId: api.id,
      routeKey: "ANY /{proxy+}",
      target: pulumi.interpolate`integrations/${integration.id}`,
    },
    opts,
  );
  const accessLogs = new aws.cloudwatch.LogGroup(
    `${name}-api-access`,
    { kmsKeyId: args.kmsKeyArn, retentionInDays: args.logRetentionDays },
    { ...opts, protect: true, retainOnDelete: true },
  );
  new aws.apigatewayv2.Stage(
    `${name}-api`,
    {
      apiId: api.id,
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: { throttlingBurstLimit: 500, throttlingRateLimit: 1000 },
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: JSON.stringify({
          requestId: "$context.requestId",
          ip: "$context.identity.sourceIp",
          routeKey: "$context.routeKey",
          status: "$context.status",
          latency: "$context.integrationLatency",
        }),
      },
    },
    opts,
  );
  return api;
}
