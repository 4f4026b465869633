import assert from "node:assert/strict";
import { quicheEngine } from "./mod.ts";
import type { QuicConn, QuicListener } from "./mod.ts";
import { echoStream, readAll, trustDomain, writeAll } from "./_test_helpers.ts";

const ALPN = ["qfaas-test"];
const domain = await trustDomain();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function serveEcho(listener: QuicListener): Promise<void> {
  return (async () => {
    for await (const conn of listener) {
      (async () => {
        for await (const stream of conn.incomingBidirectionalStreams) {
          echoStream(stream).catch(() => {});
        }
      })();
    }
  })();
}

async function roundTrip(conn: QuicConn, text: string): Promise<{ text: string; early: boolean }> {
  const stream = await conn.createBidirectionalStream();
  const early = conn.earlyData;
  await writeAll(stream.writable!, encoder.encode(text));
  return { text: decoder.decode(await readAll(stream.readable!)), early };
}

Deno.test("quicheEngine 1-RTT round trip over IPv4 and IPv6", async () => {
  for (const hostname of ["127.0.0.1", "::1"]) {
    const listener = await quicheEngine.listen({ hostname, tls: domain.leaf, alpn: ALPN });
    const serving = serveEcho(listener);
    const client = quicheEngine.createClient();
    const conn = await client.connect({
      hostname,
      port: listener.addr.port,
      serverName: "localhost",
      tls: { ca: domain.ca.cert },
      alpn: ALPN,
    });
    const result = await roundTrip(conn, `hello over ${hostname}`);
    assert.equal(result.text, `hello over ${hostname}`);
    assert.equal(result.early, false);
    assert.equal(conn.protocol, "qfaas-test");
    await client.close();
    await listener.close();
    await serving;
  }
});
