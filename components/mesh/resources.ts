/** Thin helpers that turn the pure models of this folder into Kubernetes resources. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IstioObject } from "./mesh-policy";
import { parseTracingEndpoint } from "./istio";
import { tracingNetworkPolicy, type NetworkPolicyModel } from "./network-policy";

/** An Istio object (already validated against its CRD schema) as a CustomResource. */
export function istioResource(
  name: string,
  object: IstioObject,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { ...object.metadata },
      spec: object.spec,
    },
    opts,
  );
}

export function networkPolicy(
  name: string,
  model: NetworkPolicyModel,
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  return new k8s.networking.v1.NetworkPolicy(
    name,
    { metadata: { name: model.name, namespace: model.namespace }, spec: model.spec },
    opts,
  );
}

/** The namespace's egress to the trace collector, whose address is known once resolved. */
export function tracingPolicy(
  name: string,
  namespace: string,
  tracingEndpoint: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  const model = (endpoint: string) =>
    tracingNetworkPolicy(namespace, parseTracingEndpoint(endpoint));
  return new k8s.networking.v1.NetworkPolicy(
    name,
    {
      metadata: { name: "allow-tracing", namespace },
      spec: pulumi.output(tracingEndpoint).apply((e) => model(e).spec),
    },
    opts,
  );
}
