// The gateway end to end: real listeners, real worker processes, real clients.
import assert from "node:assert/strict";
import { H3Client, newNonce, NONCE_HEADER } from "../h3/mod.ts";
import type { InvokerFunction } from "../invoker/mod.ts";
import { gatewayClient } from "../chain/mod.ts";
import { createCa, invokerIdentity, issueLeaf } from "../pki/mod.ts";
import { issueWorkerIdentity, MemoryStore } from "../store/mod.ts";
import { negotiatedVersion } from "../watchdog/testdata/tls_version.ts";
import { type Gateway, startGateway } from "./mod.ts";

const ca = await createCa("QFaaS gateway test CA");
const examples = new URL("../examples/functions/", import.meta.url).pathname;
const testFunction = new URL("../invoker/testdata/function.ts", import.meta.url).pathname;

const FUNCTIONS: InvokerFunction[] = [
  { name: "echo", module: `${examples}echo/main.ts` },
  { name: "megabyte", module: `${examples}megabyte/main.ts` },
  { name: "chain", module: `${examples}chain/main.ts`, max: 8 },
  {
    name: "hello-python",
    upstream: {
      fprocess: "python3 index.py",
      upstreamUrl: "http://127.0.0.1:0",
      cwd: `${examples}hello-python`,
    },
  },
  { name: "limits", module: testFunction, max: 1, maxInflight: 1, execTimeoutMs: 600 },
];

async function gateway(limits = {}, validateAddress = true): Promise<Gateway & AsyncDisposable> {
  const started = await startGateway({
    functions: FUNCTIONS,
    ca,
    store: new MemoryStore(),
    listen: { httpPort: 0, httpsPort: 0, validateAddress },
    limits,
  });
  return Object.assign(started, { [Symbol.asyncDispose]: () => started.shutdown() });
}

Deno.test("gateway: HTTP/1.1 invokes with sub-path and query, advertises h3, lists and counts", async () => {
  await using gw = await gateway();
  const response = await fetch(`${gw.http}/function/echo/a/b?x=1`, {
    method: "POST",
    body: "hi",
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "POST /a/b?x=1 hi\n");
  assert.equal(response.headers.get("alt-svc"), `h3=":${gw.h3Port}"; ma=86400`);
  assert.equal(response.headers.get("x-qfaas-0rtt"), "accepted", "a cold worker's first hop");
  assert.equal(response.headers.get("x-qfaas-cold-start"), "1");

  const health = await fetch(`${gw.http}/healthz`);
  assert.deepEqual(await health.json(), { status: "ok" });
  const list = await (await fetch(`${gw.http}/system/functions`)).json();
  assert.deepEqual(list.map((f: { name: string }) => f.name), [
    "chain",
    "echo",
    "hello-python",
    "limits",
    "megabyte",
  ]);
  const echo = await (await fetch(`${gw.http}/system/function/echo`)).json();
  assert.equal(echo.invocationCount, 1);
  assert.equal(echo.replicas, 1);

  const metrics = await (await fetch(`${gw.http}/metrics`)).text();
  assert.match(metrics, /^qfaas_invocations_total\{function="echo",code="200"\} 1$/m);
  assert.match(metrics, /^qfaas_cold_starts_total\{function="echo"\} 1$/m);
  assert.match(metrics, /^qfaas_zero_rtt_total\{function="echo",outcome="accepted"\} 1$/m);
  assert.match(metrics, /^qfaas_workers\{function="echo"\} 1$/m);
  assert.match(metrics, /^qfaas_invocation_duration_seconds_count\{function="echo"\} 1$/m);
});

Deno.test("gateway: HTTPS with the dev CA, and HTTP/3 resuming its session through Retry", async () => {
  await using gw = await gateway();
  const client = Deno.createHttpClient({ caCerts: [ca.cert] });
  try {
    const response = await fetch(`${gw.https}/function/echo/tls`, { client });
    assert.equal(await response.text(), "GET /tls\n");
    assert.match(response.headers.get("alt-svc") ?? "", /^h3=":\d+"/);
  } finally {
    client.close();
  }
  const sessions = new Map<string, Uint8Array>();
  const first = new H3Client({ ca: ca.cert, sessions });
  const url = `https://localhost:${gw.h3Port}/function/echo/h3`;
  try {
    const one = await first.request(url, { method: "POST", body: "one" });
    assert.equal(await one.response.text(), "POST /h3 one\n");
    assert.equal(one.earlyData, false, "no session yet");
  } finally {
    await first.close();
  }
  assert.equal(sessions.size, 1, "the gateway issued a ticket");
  const second = new H3Client({ ca: ca.cert, sessions });
  try {
    const two = await second.request(url);
    assert.equal(await two.response.text(), "GET /h3\n");
    // quiche sends the request in 0-RTT, but after the Retry it resends that data only
    // once the handshake is done (ngtcp2 resends at once: see the interop test).
    assert.equal(two.earlyData, true, "resumed with the gateway's ticket");
    assert.equal(two.earlyDataAccepted, true);
  } finally {
    await second.close();
  }
});

Deno.test("gateway: httpsMaxVersion holds HTTPS to TLS 1.2 (the paper's baseline); by default it speaks 1.3", async () => {
  const started = await startGateway({
    functions: FUNCTIONS,
    ca,
    store: new MemoryStore(),
    listen: { httpPort: null, httpsPort: 0, httpsMaxVersion: "TLSv1.2" },
  });
  await using gw = Object.assign(started, { [Symbol.asyncDispose]: () => started.shutdown() });
  const port = Number(new URL(gw.https!).port);
  assert.equal(await negotiatedVersion(port, { ca: ca.cert }), "TLSv1.2");
  await assert.rejects(negotiatedVersion(port, { ca: ca.cert, minVersion: "TLSv1.3" }));
  const client = Deno.createHttpClient({ caCerts: [ca.cert] });
  try {
    const response = await fetch(`${gw.https}/function/echo/v`, { client });
    assert.equal(await response.text(), "GET /v\n", "a client offering both gets an answer");
  } finally {
    client.close();
  }
  await using plain = await gateway();
  const defaultPort = Number(new URL(plain.https!).port);
  assert.equal(await negotiatedVersion(defaultPort, { ca: ca.cert }), "TLSv1.3");
});

Deno.test("gateway: a POST in 0-RTT runs once; without a nonce, or with a replayed one, it gets 425 and is resent after the handshake", async () => {
  // Without Retry: after a Retry, quiche resends 0-RTT data only once the handshake is done.
  await using gw = await gateway({}, false);
  const sessions = new Map<string, Uint8Array>();
  const url = `https://localhost:${gw.h3Port}/function/echo/pay`;
  const post = async (options: { nonces?: boolean; nonce?: string }, body: string) => {
    const client = new H3Client({ ca: ca.cert, sessions, nonces: options.nonces });
    try {
      const headers = options.nonce ? { [NONCE_HEADER]: options.nonce } : undefined;
      const result = await client.request(url, { method: "POST", body, headers });
      assert.equal(await result.response.text(), `POST /pay ${body}\n`);
      return { earlyData: result.earlyData, retried: result.retried };
    } finally {
      await client.close();
    }
  };
  const ticket = new H3Client({ ca: ca.cert, sessions });
  await (await ticket.fetch(url)).text();
  await ticket.close();

  assert.deepEqual(await post({}, "fresh"), { earlyData: true, retried: false });
  assert.deepEqual(
    await post({ nonces: false }, "bare"),
    { earlyData: false, retried: true },
    "a non-idempotent request in 0-RTT without a nonce is refused, then resent in 1-RTT",
  );
  const nonce = newNonce();
  assert.deepEqual(await post({ nonce }, "first"), { earlyData: true, retried: false });
  assert.deepEqual(await post({ nonce }, "replayed"), { earlyData: false, retried: true });

  const echo = await (await fetch(`${gw.http}/system/function/echo`)).json();
  assert.equal(echo.invocationCount, 5, "each request ran once: refused ones never reached echo");
  const metrics = await (await fetch(`${gw.http}/metrics`)).text();
  assert.match(metrics, /^qfaas_too_early_total\{protocol="h3"\} 2$/m);
  assert.match(metrics, /^qfaas_requests_total\{protocol="h3",early_data="true"\} 4$/m);
  assert.match(metrics, /^qfaas_requests_total\{protocol="h3",early_data="false"\} 3$/m);
});

Deno.test("gateway: 400, 404, 413 and 431 answer JSON; only a streamed body over the limit reaches a worker", async () => {
  await using gw = await gateway({ maxBodyBytes: 1024, maxHeaderBytes: 2048 });
  const unknown = await fetch(`${gw.http}/function/nope`);
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { error: "function not found", function: "nope" });
  const bad = await fetch(`${gw.http}/function/Bad_Name`);
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /malformed function name/);
  const empty = await fetch(`${gw.http}/function/`);
  assert.equal(empty.status, 400);
  await empty.body?.cancel();
  const elsewhere = await fetch(`${gw.http}/nothing-here`);
  assert.equal(elsewhere.status, 404);
  await elsewhere.body?.cancel();
  const big = await fetch(`${gw.http}/function/echo`, { method: "POST", body: "x".repeat(2000) });
  assert.equal(big.status, 413);
  assert.match((await big.json()).error, /exceeds 1024 bytes/);
  const headers = await fetch(`${gw.http}/function/echo`, {
    headers: { "x-big": "y".repeat(3000) },
  });
  assert.equal(headers.status, 431);
  await headers.body?.cancel();
  assert.equal(gw.invoker.pool("echo").size, 0, "no worker was started for any of them");
  // A body of unknown length streams on to the worker and is counted on the way.
  const streamed = await fetch(`${gw.http}/function/echo`, {
    method: "POST",
    body: ReadableStream.from([new Uint8Array(800), new Uint8Array(800)]),
  });
  assert.equal(streamed.status, 413, "a streamed body without content-length is counted too");
  assert.deepEqual(await streamed.json(), {
    error: "request body exceeds 1024 bytes",
    function: "echo",
    limit: 1024,
  });
  const after = await fetch(`${gw.http}/function/echo`, { method: "POST", body: "small" });
  assert.equal(await after.text(), "POST / small\n", "the gateway and the worker serve on");
});

Deno.test("createGatewayApp() applies a function's own maxBodyBytes, not the gateway's, on HTTP/1.1 and HTTP/3", async () => {
  await using gw = await gateway({ maxBodyBytes: 1024 });
  gw.invoker.register({ name: "roomy", module: `${examples}echo/main.ts`, maxBodyBytes: 4096 });
  const h3 = new H3Client({ ca: ca.cert });
  const chunks = (size: number) =>
    ReadableStream.from([new Uint8Array(size / 2).fill(0x61), new Uint8Array(size / 2).fill(0x61)]);
  const post = (base: string, name: string, body: BodyInit) => {
    const init = { method: "POST", body, duplex: "half" } as RequestInit;
    return base === "h3"
      ? h3.fetch(`https://localhost:${gw.h3Port}/function/${name}`, init)
      : fetch(`${gw.http}/function/${name}`, init);
  };
  try {
    for (const base of ["http", "h3"]) {
      for (const body of [() => "a".repeat(3000), () => chunks(3000)]) {
        const ok = await post(base, "roomy", body());
        assert.equal(await ok.text(), `POST / ${"a".repeat(3000)}\n`, base);
        const refused = await post(base, "echo", body());
        assert.equal(refused.status, 413, `${base}: echo keeps the gateway's 1024`);
        await refused.body?.cancel();
      }
      for (const body of [() => "a".repeat(5000), () => chunks(5000)]) {
        const over = await post(base, "roomy", body());
        assert.equal(over.status, 413, base);
        assert.deepEqual(await over.json(), {
          error: "request body exceeds 4096 bytes",
          function: "roomy",
          limit: 4096,
        });
      }
    }
  } finally {
    await h3.close();
  }
});

Deno.test("gateway: 429 at max_inflight, 502 when the worker crashes, 504 when it hangs; it recovers", async () => {
  await using gw = await gateway();
  const base = `${gw.http}/function/limits`;
  await (await fetch(`${base}/warm`)).text();
  const [slow, refused] = await Promise.all([
    fetch(`${base}/slow`),
    new Promise((r) => setTimeout(r, 100)).then(() => fetch(`${base}/second`)),
  ]);
  assert.equal(refused.status, 429);
  await refused.body?.cancel();
  assert.equal(await slow.text(), "GET /slow");
  const crashed = await fetch(`${base}/crash`);
  assert.equal(crashed.status, 502);
  assert.equal((await crashed.json()).function, "limits");
  const hung = await fetch(`${base}/spin`);
  assert.equal(hung.status, 504);
  await hung.body?.cancel();
  const after = await fetch(`${base}/after`);
  assert.equal(await after.text(), "GET /after");
  const metrics = await (await fetch(`${gw.http}/metrics`)).text();
  for (const code of ["429", "502", "504"]) {
    assert.match(
      metrics,
      new RegExp(`qfaas_invocations_total\\{function="limits",code="${code}"\\} 1`),
    );
  }
});

Deno.test("gateway: a chain of 6 returns 6, and every function-to-gateway connection starts in 0-RTT", async () => {
  await using gw = await gateway();
  for (const via of ["chain", "fetch"]) {
    const response = await fetch(`${gw.http}/function/chain?n=6&via=${via}`);
    assert.equal(response.status, 200);
    const result = await response.json();
    assert.equal(result.n, 6, via);
    assert.equal(result.hops.length, 5);
    for (const hop of result.hops) {
      // Each gateway → worker hop either opened the worker's first connection in 0-RTT
      // or reused an open one: none of them waited for a handshake.
      assert.ok(hop === "accepted" || hop === "none", `${via}: hop ${hop}`);
    }
  }
  const metrics = await (await fetch(`${gw.http}/metrics`)).text();
  assert.match(metrics, /qfaas_internal_new_connection_requests_total\{early_data="true"\} [1-9]/);
  assert.doesNotMatch(
    metrics,
    /qfaas_internal_new_connection_requests_total\{early_data="false"\} [1-9]/,
  );
});

Deno.test("gateway: a Python upstream answers, and calls another function through gateway_url", async () => {
  await using gw = await gateway();
  const hello = await fetch(`${gw.http}/function/hello-python/hi`, { method: "POST", body: "py" });
  assert.deepEqual(await hello.json(), {
    hello: "from python",
    method: "POST",
    path: "/hi",
    body: "py",
  });
  const call = await fetch(`${gw.http}/function/hello-python/call/echo/from-python`);
  assert.equal(await call.text(), "GET /from-python\n");
});

Deno.test("gateway: a 1 MB response arrives whole over HTTP/1.1 and HTTP/3", async () => {
  await using gw = await gateway();
  const plain = new Uint8Array(await (await fetch(`${gw.http}/function/megabyte`)).arrayBuffer());
  assert.equal(plain.byteLength, 1024 * 1024);
  const client = new H3Client({ ca: ca.cert });
  try {
    const body = await (await client.fetch(`https://localhost:${gw.h3Port}/function/megabyte`))
      .arrayBuffer();
    assert.equal(body.byteLength, 1024 * 1024);
  } finally {
    await client.close();
  }
});

Deno.test("gateway: the internal listener admits a worker's certificate and refuses no certificate, the invoker's, another CA's", async () => {
  await using gw = await gateway();
  const stranger = await createCa("Unrelated CA");
  const [worker, invoker, foreign] = await Promise.all([
    issueWorkerIdentity(ca, "echo-9"),
    invokerIdentity(ca),
    issueLeaf(stranger, { commonName: "echo-9", role: "worker" }),
  ]);
  const call = async (identity?: { cert: string; key: string }) => {
    // As a worker's own client does (chain/mod.ts), with no session: a full handshake.
    const client = gatewayClient({ url: gw.internalUrl, ca: ca.cert, session: null, identity });
    try {
      const response = await client.fetch(`${gw.internalUrl}/function/echo/inside`, {
        signal: AbortSignal.timeout(5000),
      });
      return `${response.status} ${await response.text()}`;
    } finally {
      await client.close();
    }
  };
  const refusals: Array<[string, { cert: string; key: string } | undefined, string]> = [
    ["no certificate", undefined, "certificate_required"],
    ["the invoker's certificate", invoker, "access_denied"],
    ["another CA's worker certificate", foreign, "unknown_ca"],
  ];
  for (const [who, identity, alert] of refusals) {
    await assert.rejects(call(identity), (error: unknown) => {
      assert.ok(String(error).includes(`CRYPTO_ERROR(${alert})`), `${who}: ${error}`);
      return true;
    });
  }
  const metrics = await (await fetch(`${gw.http}/metrics`)).text();
  assert.doesNotMatch(metrics, /qfaas_invocations_total\{function="echo"/, "nothing ran");
  assert.equal(await call({ cert: worker.cert, key: worker.key }), "200 GET /inside\n");
});

Deno.test("gateway: forwards the request's fields but hop-by-hop ones, on the plain route and through the router", async () => {
  await using gw = await gateway();
  // "/function/limits/headers" takes the fast path; with a percent-escape, the router.
  for (const path of ["/function/limits/headers", "/function/limits/headers%2Fx"]) {
    const response = await fetch(`${gw.http}${path}?q=1`, {
      headers: { "x-custom": "kept", te: "gzip", "keep-alive": "timeout=5", "x-call-id": "given" },
    });
    assert.equal(response.status, 200, path);
    const seen = await response.json();
    assert.equal(seen["x-custom"], "kept", path);
    assert.equal(seen["x-call-id"], "given", `${path}: a caller's call id is kept`);
    assert.equal(seen["x-forwarded-proto"], "http", path);
    assert.equal(seen["x-forwarded-host"], new URL(gw.http!).host, path);
    assert.equal(seen.te, undefined, `${path}: te (not "trailers") stays behind`);
    assert.equal(seen["keep-alive"], undefined, `${path}: hop-by-hop`);
  }
});
