/**
 * Deep health: what the region's Route 53 health check asks (through the ingress gateway, at
 * /healthz). Each dependency of the region's data path answers a cheap call within a bound; the
 * report is cached so that health checkers (Route 53 probes from many locations, every ~10-30 s,
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)
 * cannot multiply into load on the table, the bucket or the bus, and concurrent requests share one
 * round of probes. Liveness stays shallow (/livez): a data outage must move users to another
 * region, not restart every pod of this one.
 */
export interface Probe {
  readonly name: string;
  /** Resolves when the dependency answered as expected; the signal aborts it at the bound. */
  check(signal: AbortSignal): Promise<void>;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

export interface HealthReport {
  readonly status: "ok" | "failing";
  /** The dependencies that failed, by name. */
  readonly failing: string[];
  readonly checks: Record<string, ProbeResult>;
  readonly checkedAt: string;
}

export interface DeepHealthOptions {
  /** @default 1000 - each probe's bound; the gateway gives the whole request 1.5 s */
  readonly timeoutMs?: number;
  /** @default 5000 - how long a report is reused */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

export class DeepHealth {
  private cached?: { report: HealthReport; at: number };
  private running?: Promise<HealthReport>;
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(
    private readonly probes: readonly Probe[],
    options: DeepHealthOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.cacheMs = options.cacheMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** The cached report while fresh; else one new round of probes, shared by concurrent callers. */
  check(): Promise<HealthReport> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) {
      return Promise.resolve(this.cached.report);
    }
    this.running ??= this.probeAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async probeAll(): Promise<HealthReport> {
    const results = await Promise.all(this.probes.map((p) => this.probe(p)));
    const checks = Object.fromEntries(this.probes.map((p, i) => [p.name, results[i]]));
    const failing = this.probes.filter((_, i) => !results[i].ok).map((p) => p.name);
    const report: HealthReport = {
      status: failing.length === 0 ? "ok" : "failing",
      failing,
      checks,
      checkedAt: new Date(this.now()).toISOString(),
    };
    this.cached = { report, at: this.now() };
    return report;
  }

  private async probe(probe: Probe): Promise<ProbeResult> {
    const started = this.now();
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new Error(`no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    try {
      await Promise.race([probe.check(abort.signal), bound]);
      return { ok: true, ms: this.now() - started };
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return { ok: false, ms: this.now() - started, error };
    } finally {
      clearTimeout(timer);
    }
  }
}
