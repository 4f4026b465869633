import assert from "node:assert/strict";
import { issueWorkerIdentity } from "./worker_identity.ts";
import { createCa } from "../pki/mod.ts";
import { quicheEngine } from "../quic/mod.ts";
import { command, spawnServer } from "../quic/testing.ts";

const ca = await createCa("QFaaS test CA");

Deno.test("issueWorkerIdentity(): a never-started worker process takes its first request in 0-RTT", async () => {
  const identity = await issueWorkerIdentity(ca, "echo-1.qfaas.internal", { alpn: ["qfaas-test"] });
  const server = await spawnServer({ ca, leaf: identity }, identity.ticketKey);
  const client = quicheEngine.createClient();
  try {
    const conn = await client.connect({
      hostname: "127.0.0.1",
      port: server.port,
      serverName: identity.name,
      tls: { ca: ca.cert },
      alpn: ["qfaas-test"],
      session: identity.session,
    });
    assert.equal(JSON.parse(await command(conn, "info")).early, true);
    assert.equal(conn.earlyDataAccepted, true);
  } finally {
    await client.close();
    await server.stop();
  }
});

Deno.test("issueWorkerIdentity(): each worker gets its own ticket key, so sessions do not cross", async () => {
  const a = await issueWorkerIdentity(ca, "worker-a");
  const b = await issueWorkerIdentity(ca, "worker-b");
  assert.equal(a.ticketKey.byteLength, 48);
  assert.notDeepEqual(a.ticketKey, b.ticketKey);
  assert.notDeepEqual(a.session, b.session);
});

Deno.test("issueWorkerIdentity() refuses a name that is not a DNS name", async () => {
  for (const bad of ["", "Upper", "under_score", "-lead", "a..b"]) {
    await assert.rejects(issueWorkerIdentity(ca, bad), /use a lowercase DNS name/, bad);
  }
});
