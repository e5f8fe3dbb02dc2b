/** GlobalRouting under the recording mock monitor: the hosted zone and the optional edge. */
import { describe, expect, it } from "vitest";
import { countByType, evaluateRouting, ofType, providerRegion } from "./global-helpers";

const base = { homeRegion: "us-east-1", regions: ["us-east-1", "eu-central-1"] } as const;

describe("GlobalRouting", () => {
  it("creates the hosted zone, protected, with no edge by default", async () => {
    const ev = await evaluateRouting({ ...base, domain: "platform.example.com" });
    expect(countByType(ev.records)).toEqual({
      "aws:acm/certificate:Certificate": 1,
      "aws:route53/record:Record": 1,
      "aws:route53/zone:Zone": 1,
      "platform:global:Routing": 1,
      "pulumi:providers:aws": 1,
      "pulumi:pulumi:Stack": 1,
    });
    const [zone] = ofType(ev.records, "aws:route53/zone:Zone");
    // The global name's ACM validation record, once, for every region's certificate.
    const [cert] = ofType(ev.records, "aws:acm/certificate:Certificate");
    expect(cert.inputs).toEqual({
      domainName: "api.platform.example.com",
      validationMethod: "DNS",
    });
    const [record] = ofType(ev.records, "aws:route53/record:Record");
    const [option] = cert.outputs.domainValidationOptions as Array<Record<string, string>>;
    expect(record.inputs).toEqual({
      zoneId: zone.outputs.zoneId,
      name: option.resourceRecordName,
      type: "CNAME",
      records: [option.resourceRecordValue],
      ttl: 300,
    });
    expect(zone.protect).toBe(true);
    expect(zone.inputs).toMatchObject({ name: "platform.example.com", forceDestroy: false });
    expect(providerRegion(ev.records, zone)).toBe("us-east-1");
    // The name servers the parent zone must delegate to: the new zone's own.
    expect((zone.outputs.nameServers as string[]).length).toBe(4);
    expect(ev.outputs).toEqual({
      zoneId: zone.outputs.zoneId,
      zoneName: "platform.example.com",
      nameServers: zone.outputs.nameServers,
      globalNameValidationFqdn: record.outputs.fqdn,
      acceleratorListenerArn: "",
      edgeDomainName: "",
    });
  });

  it("looks an existing zone up instead of creating one", async () => {
    const ev = await evaluateRouting({
      ...base,
      domain: "example.com",
      hostedZone: { existingZoneId: "Z0123456789ABC" },
    });
    expect(ofType(ev.records, "aws:route53/zone:Zone")).toEqual([]);
    expect(ev.outputs).toMatchObject({
      zoneId: "Z0123456789ABC",
      zoneName: "example.com",
      nameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net"],
    });
  });

  it("fails when the existing zone is not the domain's", async () => {
    await expect(
      evaluateRouting({
        ...base,
        domain: "platform.example.org",
        hostedZone: { existingZoneId: "Z0123456789ABC" },
      }),
    ).rejects.toThrow(
      "hostedZone.existingZoneId Z0123456789ABC is the zone of example.com, not of the domain platform.example.org",
    );
  });

  it("with Global Accelerator exports the TCP 443 listener the region stacks attach to", async () => {
    const ev = await evaluateRouting({
      ...base,
      domain: "platform.example.com",
      edge: "globalAccelerator",
    });
    const [listener] = ofType(ev.records, "aws:globalaccelerator/listener:Listener");
    const [accelerator] = ofType(ev.records, "aws:globalaccelerator/accelerator:Accelerator");
    expect(listener.inputs).toEqual({
      acceleratorArn: accelerator.outputs.arn,
      protocol: "TCP",
      portRanges: [{ fromPort: 443, toPort: 443 }],
      clientAffinity: "NONE",
    });
    expect(ev.outputs.acceleratorListenerArn).toBe(listener.outputs.arn);
    expect(ev.outputs.edgeDomainName).toBe(accelerator.outputs.dnsName);
  });

  it("with CloudFront puts a distribution over HTTPS in front of the latency-routed name", async () => {
    const ev = await evaluateRouting({
      ...base,
      domain: "platform.example.com",
      edge: "cloudfront",
    });
    const [distribution] = ofType(ev.records, "aws:cloudfront/distribution:Distribution");
    expect(distribution.inputs.origins).toEqual([
      {
        originId: "latency-routed",
        domainName: "api.platform.example.com",
        customOriginConfig: {
          httpPort: 80,
          httpsPort: 443,
          originProtocolPolicy: "https-only",
          originSslProtocols: ["TLSv1.2"],
        },
      },
    ]);
    expect(distribution.inputs.defaultCacheBehavior).toMatchObject({
      viewerProtocolPolicy: "redirect-to-https",
    });
    expect(ev.outputs).toMatchObject({
      acceleratorListenerArn: "",
      edgeDomainName: distribution.outputs.domainName,
    });
  });
});
