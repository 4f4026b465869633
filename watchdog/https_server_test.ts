import assert from "node:assert/strict";
import { createCa, issueLeaf, ROLE_EKU } from "../pki/mod.ts";
import { serveHttps } from "./https_server.ts";

Deno.test("serveHttps: answers over TLS with the handler's response, body and headers", async () => {
  const ca = await createCa("https test CA");
  const leaf = await issueLeaf(ca, { commonName: "localhost", dnsNames: ["localhost"] });
  const server = await serveHttps(
    { hostname: "127.0.0.1", port: 0, ...leaf },
    async (request) =>
      new Response(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`, {
        status: 201,
        headers: { "x-test": "yes" },
      }),
  );
  const client = Deno.createHttpClient({ caCerts: [ca.cert] });
  try {
    const response = await fetch(`https://localhost:${server.addr.port}/a`, {
      method: "POST",
      body: "hi",
      client,
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("x-test"), "yes");
    assert.equal(await response.text(), "POST /a hi");
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("serveHttps: a port in use is Deno.errors.AddrInUse, as from Deno.serve", async () => {
  const ca = await createCa("https test CA");
  const leaf = await issueLeaf(ca, { commonName: "localhost", dnsNames: ["localhost"] });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      serveHttps(
        { hostname: "127.0.0.1", port: (taken.addr as Deno.NetAddr).port, ...leaf },
        () => new Response("x"),
      ),
      Deno.errors.AddrInUse,
    );
  } finally {
    taken.close();
  }
});

Deno.test("serveHttps: with clientAuth, only a client certificate from the CA with the usage gets an answer", async () => {
  const ca = await createCa("https test CA");
  const other = await createCa("another CA");
  const [leaf, invoker, worker, stranger] = await Promise.all([
    issueLeaf(ca, { commonName: "localhost", dnsNames: ["localhost"] }),
    issueLeaf(ca, { commonName: "qfaas-invoker", role: "invoker" }),
    issueLeaf(ca, { commonName: "w", role: "worker" }),
    issueLeaf(other, { commonName: "qfaas-invoker", role: "invoker" }),
  ]);
  let handled = 0;
  const server = await serveHttps(
    {
      hostname: "127.0.0.1",
      port: 0,
      ...leaf,
      clientAuth: { ca: ca.cert, extKeyUsage: ROLE_EKU.invoker },
    },
    () => new Response(`answer ${++handled}`),
  );
  const url = `https://localhost:${server.addr.port}/`;
  const attempt = async (identity: { cert: string; key: string } | null) => {
    const client = Deno.createHttpClient({ caCerts: [ca.cert], ...(identity ?? {}) });
    try {
      return await (await fetch(url, { client, signal: AbortSignal.timeout(5000) })).text();
    } finally {
      client.close();
    }
  };
  try {
    for (const [who, identity] of [["none", null], ["another CA", stranger], ["worker", worker]]) {
      await assert.rejects(attempt(identity as typeof worker | null), TypeError, `${who}`);
    }
    assert.equal(handled, 0, "no refused client reached the handler");
    assert.equal(await attempt(invoker), "answer 1");
  } finally {
    await server.shutdown();
  }
});
