import assert from "node:assert/strict";
import { createCa, issueLeaf } from "./certs.ts";

Deno.test("issueLeaf() makes a certificate that rustls (Deno's TLS) accepts against the CA", async () => {
  const ca = await createCa("QFaaS test CA");
  const leaf = await issueLeaf(ca, { commonName: "localhost", ipAddresses: ["127.0.0.1"] });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: leaf.cert, key: leaf.key, onListen() {} },
    () => new Response("verified"),
  );
  const client = Deno.createHttpClient({ caCerts: [ca.cert] });
  try {
    const response = await fetch(`https://localhost:${server.addr.port}/`, { client });
    assert.equal(await response.text(), "verified");
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("issueLeaf() certificates do not verify against an unrelated CA", async () => {
  const ca = await createCa("QFaaS test CA");
  const stranger = await createCa("Stranger CA");
  const leaf = await issueLeaf(ca, { commonName: "localhost" });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: leaf.cert, key: leaf.key, onListen() {} },
    () => new Response("should not be reached"),
  );
  const client = Deno.createHttpClient({ caCerts: [stranger.cert] });
  try {
    await assert.rejects(fetch(`https://localhost:${server.addr.port}/`, { client }));
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("createCa() returns a PEM certificate, a PKCS#8 key and its subject", async () => {
  const ca = await createCa("QFaaS test CA");
  assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(ca.cert, /^-----BEGIN CERTIFICATE-----/);
  assert.equal(ca.subject, "CN=QFaaS test CA");
});

Deno.test("issueLeaf() role: a worker's leaf serves TLS, the invoker's cannot pose as a server", async () => {
  const ca = await createCa("QFaaS test CA");
  const names = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] };
  const serve = async (role: "worker" | "invoker") => {
    const leaf = await issueLeaf(ca, { commonName: "localhost", ...names, role });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, cert: leaf.cert, key: leaf.key, onListen() {} },
      () => new Response(role),
    );
    const client = Deno.createHttpClient({ caCerts: [ca.cert] });
    try {
      return await (await fetch(`https://localhost:${server.addr.port}/`, { client })).text();
    } finally {
      client.close();
      await server.shutdown();
    }
  };
  assert.equal(await serve("worker"), "worker");
  // No serverAuth usage: rustls refuses it as a server's certificate.
  await assert.rejects(serve("invoker"), TypeError);
});
