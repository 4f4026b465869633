import assert from "node:assert/strict";
import { gatewayClient, installGatewayLink, invoke, workerGatewayClient } from "./mod.ts";
import { serveH3 } from "../h3/mod.ts";
import { createCa, issueLeaf, ROLE_EKU } from "../pki/mod.ts";
import { quicheEngine } from "../quic/mod.ts";

/** A listener that admits only workers, as the gateway's internal one, and a worker's identity. */
async function gatewayListener() {
  const ca = await createCa("chain test CA");
  const [leaf, worker] = await Promise.all([
    issueLeaf(ca, { commonName: "localhost", ipAddresses: ["127.0.0.1"] }),
    issueLeaf(ca, { commonName: "echo-1", role: "worker" }),
  ]);
  const listener = await quicheEngine.listen({
    tls: { ...leaf, clientAuth: { ca: ca.cert, extKeyUsage: ROLE_EKU.worker } },
    alpn: ["h3"],
  });
  return { ca, worker, listener };
}

Deno.test("gatewayClient() presents the link's identity to a listener that admits only workers", async () => {
  const { ca, worker, listener } = await gatewayListener();
  const server = serveH3(listener, () => new Response("inside"));
  const url = `https://localhost:${listener.addr.port}`;
  const fetchWith = async (identity?: { cert: string; key: string }) => {
    const client = gatewayClient({ url, ca: ca.cert, session: null, identity });
    try {
      return await (await client.fetch(`${url}/`, { signal: AbortSignal.timeout(5000) })).text();
    } finally {
      await client.close();
    }
  };
  try {
    await assert.rejects(fetchWith(), /CRYPTO_ERROR\(certificate_required\)/);
    assert.equal(await fetchWith({ cert: worker.cert, key: worker.key }), "inside");
  } finally {
    await server.shutdown();
  }
});

Deno.test("installGatewayLink(): invoke and the gateway's fetch ride the worker's link; other origins do not", async () => {
  const { ca, worker, listener } = await gatewayListener();
  const server = serveH3(
    listener,
    (request) => new Response(`h3 ${new URL(request.url).pathname}`),
  );
  const plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("plain"),
  );
  const url = `https://localhost:${listener.addr.port}`;
  const original = globalThis.fetch;
  assert.equal(workerGatewayClient(), null, "no link before the watchdog installs one");
  try {
    installGatewayLink({ url, ca: ca.cert, session: null, identity: worker });
    assert.throws(() => installGatewayLink({ url, ca: ca.cert, session: null }), /has one/);
    assert.equal(await (await invoke("echo?x=1")).text(), "h3 /function/echo");
    assert.equal(await (await fetch(`${url}/function/other`)).text(), "h3 /function/other");
    assert.equal(await (await fetch(`http://127.0.0.1:${plain.addr.port}/`)).text(), "plain");
    const perCall = workerGatewayClient({ pool: false });
    assert.ok(perCall);
    assert.equal(await (await perCall.fetch(`${url}/x`)).text(), "h3 /x");
    await perCall.close();
  } finally {
    globalThis.fetch = original;
    await plain.shutdown();
    await server.shutdown();
  }
});
