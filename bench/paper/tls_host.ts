// A TLS host for `qfaas bench app certinfo` to probe, as the paper's Cert Info probed hosts on
// the internet: its own network namespace at the bench's RTT, its own CA. Configured by
// QFAAS_BENCH_ORIGIN (JSON `{ "hostname": … }`); prints one JSON line (`OriginReady`) when it
// serves, then serves until stdin ends.
import { createCa, issueLeaf } from "../../pki/mod.ts";
import { serveLines } from "./json_lines.ts";

/** The line this process prints when it serves. */
export interface OriginReady {
  /** Its address. */
  host: string;
  /** Its TLS port. */
  port: number;
  /** The CA its certificate chains to (PEM), for the prober to trust. */
  ca: string;
}

async function main(hostname: string): Promise<void> {
  const ca = await createCa("QFaaS bench origin CA");
  const leaf = await issueLeaf(ca, {
    commonName: "origin.bench",
    dnsNames: ["origin.bench"],
    ipAddresses: [hostname],
  });
  const server = Deno.serve(
    { hostname, port: 0, cert: leaf.cert, key: leaf.key, onListen() {} },
    () => new Response("origin\n"),
  );
  const ready: OriginReady = { host: hostname, port: server.addr.port, ca: ca.cert };
  console.log(JSON.stringify(ready));
  await serveLines(() => Promise.resolve({ ok: true }));
  await server.shutdown();
}

if (import.meta.main) {
  const { hostname } = JSON.parse(Deno.env.get("QFAAS_BENCH_ORIGIN") ?? "{}");
  await main(hostname ?? "127.0.0.1");
}
