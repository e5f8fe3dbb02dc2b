// The starting point of a platform service: an HTTP server that answers the probes the platform
// expects (/livez for liveness, /ready for readiness, /healthz for the regional health check,
// which a real service answers from its dependencies: services/lib/health.ts) and says which
// service and region answered. A service with its own code gets services/<name>/ instead.
import { createServer } from "node:http";

const service = process.env.SERVICE ?? "service";
const region = process.env.PLATFORM_REGION ?? "unknown";
const port = Number(process.env.PORT ?? 8080);
let ready = true;

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/livez" || path === "/healthz") return send(res, 200, { status: "ok" });
  if (path === "/ready") return send(res, ready ? 200 : 503, { ready });
  return send(res, 200, { service, region, path });
});

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

// Drain on SIGTERM: fail readiness first so the mesh stops sending, then close.
process.on("SIGTERM", () => {
  ready = false;
  setTimeout(() => server.close(() => process.exit(0)), 5_000);
});

server.listen(port, () => console.log(JSON.stringify({ msg: "listening", service, region, port })));
