import assert from "node:assert/strict";
import { issueWorkerIdentity } from "./worker_identity.ts";
import { createCa, ROLE_EKU, TLS_EKU } from "../pki/mod.ts";
import { encodeOid, hasExtendedKeyUsage, quicheEngine } from "../quic/mod.ts";
import { command, echoBed, spawnServer } from "../quic/testing.ts";

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

Deno.test("issueWorkerIdentity(): its session is admitted in 0-RTT by a listener that admits only the invoker", async () => {
  const identity = await issueWorkerIdentity(ca, "echo-2", { alpn: ["qfaas-test"] });
  const clientAuth = { ca: ca.cert, extKeyUsage: ROLE_EKU.invoker };
  await using bed = await echoBed(quicheEngine, { ca, leaf: identity }, {
    tls: { cert: identity.cert, key: identity.key, ticketKey: identity.ticketKey, clientAuth },
  });
  // No identity of its own: the minted session carries the invoker's certificate.
  const conn = await bed.connect({ serverName: identity.name, session: identity.session });
  assert.equal(await command(conn, "first"), "first");
  assert.equal(conn.earlyDataAccepted, true);
  assert.equal(bed.listener.counters.clientsRefused, 0);
});

Deno.test("issueWorkerIdentity(): the worker's leaf serves, and calls the gateway as a worker, never as the invoker", async () => {
  const { cert } = await issueWorkerIdentity(ca, "echo-3");
  const der = Uint8Array.fromBase64(cert.replace(/-----[^-]+-----|\s/g, ""));
  const has = (oid: string) => hasExtendedKeyUsage(der, encodeOid(oid));
  assert.equal(has(TLS_EKU.serverAuth), true);
  assert.equal(has(TLS_EKU.clientAuth), true);
  assert.equal(has(ROLE_EKU.worker), true);
  assert.equal(has(ROLE_EKU.invoker), false);
});
