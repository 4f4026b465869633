import assert from "node:assert/strict";
import { createCa, invokerIdentity, issueLeaf, ROLE_EKU } from "../pki/mod.ts";
import { serveHttps } from "../watchdog/mod.ts";
import { HttpsClient } from "./https_client.ts";
import type { Invocation } from "./invocation.ts";

const ca = await createCa("https client test CA");
const leaf = await issueLeaf(ca, { commonName: "localhost", dnsNames: ["localhost"] });
const invoker = await invokerIdentity(ca);

/** An HTTPS server like a tls worker's: the invoker only; echoes a body, else names the request. */
async function worker(maxVersion?: "TLSv1.2") {
  const server = await serveHttps(
    {
      hostname: "127.0.0.1",
      port: 0,
      ...leaf,
      clientAuth: { ca: ca.cert, extKeyUsage: ROLE_EKU.invoker },
      maxVersion,
    },
    async (request) => {
      const body = new Uint8Array(await request.arrayBuffer());
      return new Response(
        body.byteLength > 0 ? body : `${request.method} ${new URL(request.url).pathname}`,
        {
          headers: { "x-twice": "a", "set-cookie": "b=2" },
        },
      );
    },
  );
  return { server, target: { host: "127.0.0.1", port: server.addr.port, servername: "localhost" } };
}

const get = (target: string, fields: Invocation["fields"] = []): Invocation => ({
  method: "GET",
  target,
  fields,
  body: null,
});

Deno.test("HttpsClient: presents the invoker's certificate, sends fields, reads fields and body", async () => {
  const { server, target } = await worker();
  const client = new HttpsClient({
    ca: ca.cert,
    ...invoker,
    maxVersion: "TLSv1.3",
    keepAlive: false,
  });
  try {
    const answer = await client.send(target, get("/a?b=1", [["x-one", "1"], ["x-one", "2"]]));
    assert.equal(answer.status, 200);
    assert.ok(answer.hasBody);
    assert.deepEqual(answer.fields.filter(([name]) => name.startsWith("x-twice")), [[
      "x-twice",
      "a",
    ]]);
    // A new connection per request ends with `connection: close`: that field is this hop's only.
    for (const name of ["connection", "keep-alive", "transfer-encoding"]) {
      assert.ok(!answer.fields.some(([field]) => field === name), name);
    }
    assert.equal(new TextDecoder().decode(await answer.bytes()), "GET /a");
  } finally {
    await server.shutdown();
  }
});

Deno.test("HttpsClient: streams a request body in and a response body out, over TLS 1.2 too", async () => {
  for (const maxVersion of ["TLSv1.3", "TLSv1.2"] as const) {
    const { server, target } = await worker(maxVersion === "TLSv1.2" ? "TLSv1.2" : undefined);
    const client = new HttpsClient({ ca: ca.cert, ...invoker, maxVersion, keepAlive: true });
    try {
      const size = 1 << 20;
      let left = size;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left <= 0) return controller.close();
          const chunk = new Uint8Array(Math.min(16384, left)).fill(0x61);
          left -= chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      const answer = await client.send(target, { method: "POST", target: "/", fields: [], body });
      let received = 0;
      for await (const chunk of answer.stream()) {
        assert.ok(chunk.every((b) => b === 0x61));
        received += chunk.byteLength;
      }
      assert.equal(received, size, maxVersion);
    } finally {
      client.close();
      await server.shutdown();
    }
  }
});

Deno.test("HttpsClient: a client held to TLS 1.2 gets an answer; a worker from another CA is refused", async () => {
  const { server, target } = await worker();
  const other = await createCa("another CA");
  const stranger = new HttpsClient({
    ca: other.cert,
    ...invoker,
    maxVersion: "TLSv1.3",
    keepAlive: false,
  });
  const old = new HttpsClient({ ca: ca.cert, ...invoker, maxVersion: "TLSv1.2", keepAlive: false });
  try {
    await assert.rejects(
      stranger.send(target, get("/")),
      "the worker's certificate is not trusted",
    );
    const answer = await old.send(target, get("/v"));
    assert.equal(new TextDecoder().decode(await answer.bytes()), "GET /v");
  } finally {
    await server.shutdown();
  }
});
