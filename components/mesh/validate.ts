/** Checks of the ServiceMesh's arguments, run first in its constructor. */
import { projectSchema, type ServiceConfig } from "../../lib/config/schema";
import { parseCidr } from "../../lib/cidr";
import { routeMatches } from "./traffic";

/**
 * The services as the config schema would accept them (known callers, unique names and routes,
 * canary weights 0-100); the error names the argument's path, the value and the rule.
 */
export function validateServices(services: readonly ServiceConfig[]): void {
  const parsed = projectSchema.services.safeParse(services);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((issue) => {
    const value = issue.path.reduce<unknown>(
      (v, k) =>
        v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined,
      services,
    );
    const key = issue.path.reduce<string>(
      (k, p) => (typeof p === "number" ? `${k}[${p}]` : `${k}.${String(p)}`),
      "services",
    );
    return `${key} = ${JSON.stringify(value)}: ${issue.message}`;
  });
  throw new Error(`ServiceMesh: invalid ${problems.join("; ")}`);
}

export function validateVpcCidr(vpcCidr: string): void {
  try {
    parseCidr(vpcCidr);
  } catch (e) {
    throw new Error(`ServiceMesh: invalid vpcCidr = "${vpcCidr}": ${(e as Error).message}`);
  }
}

/** Services with routes need at least one public name to serve them on. */
export function validateIngressHosts(
  ingressHosts: readonly string[],
  services: readonly ServiceConfig[],
): void {
  const routed = services.filter((s) => s.routes.length > 0).map((s) => s.name);
  if (routed.length > 0 && ingressHosts.length === 0) {
    throw new Error(
      `ServiceMesh: invalid ingressHosts = []: ${routed.join(", ")} have routes; name the public hosts they are served on`,
    );
  }
}

/**
 * The region's health path (Route 53 requests it) needs a routed service to answer it, and no
 * service route may cover it: a gateway merges the VirtualServices of one host in creation order,
 * so which one would answer would be an accident.
 */
export function validateHealthCheckPath(
  healthCheckPath: string,
  services: readonly ServiceConfig[],
): void {
  const invalid = (why: string) =>
    new Error(`ServiceMesh: invalid healthCheckPath = ${JSON.stringify(healthCheckPath)}: ${why}`);
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(healthCheckPath)) {
    throw invalid("not a path (starts with /; letters, digits and . _ ~ / -)");
  }
  if (!services.some((s) => s.routes.length > 0)) {
    throw invalid(
      "no service has routes, so none can answer the region's health check (the first service with routes does)",
    );
  }
  for (const service of services) {
    const route = service.routes.find((r) =>
      routeMatches(r).some((m) =>
        "exact" in m ? m.exact === healthCheckPath : healthCheckPath.startsWith(m.prefix),
      ),
    );
    if (route !== undefined) {
      throw invalid(
        `${service.name}'s route ${route} covers it; choose a health path outside the services' routes`,
      );
    }
  }
}

/** The image repository of a service, which the global stack must have created. */
export function repositoryUrlOf(
  ecrRepositoryUrls: Readonly<Record<string, string>>,
  service: string,
  region: string,
): string {
  const url = ecrRepositoryUrls[service];
  if (url === undefined) {
    const known = Object.keys(ecrRepositoryUrls).sort().join(", ") || "none";
    throw new Error(
      `service ${service} has no ECR repository in ${region} (the global stack's fabric has: ${known}); run \`pulumi up\` on the global stack first`,
    );
  }
  return url;
}
