// The watchdog as a real worker process, reached over each transport.
import assert from "node:assert/strict";
import { H3Client } from "../h3/mod.ts";
import { type CertifiedKey, createCa, invokerIdentity, issueLeaf } from "../pki/mod.ts";
import { issueWorkerIdentity, type WorkerIdentity } from "../store/mod.ts";
import { newNonce, NONCE_HEADER } from "../h3/mod.ts";
import { encodeWorkerSecrets } from "./contract.ts";
import { readReady } from "./ready.ts";
import { negotiatedVersion, type NegotiateOptions } from "./testdata/tls_version.ts";

const ca = await createCa("QFaaS test CA");
/** The certificate workers admit: the gateway's invoker's. */
const invoker = await invokerIdentity(ca);
const functionPath = new URL("./testdata/function.ts", import.meta.url).pathname;

interface Worker extends AsyncDisposable {
  port: number;
  identity: WorkerIdentity;
  child: Deno.ChildProcess;
}

async function spawnWorker(env: Record<string, string> = {}): Promise<Worker> {
  const identity = await issueWorkerIdentity(ca, "echo-1");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-net", new URL("./main.ts", import.meta.url).pathname],
    env: {
      QFAAS_FUNCTION: functionPath,
      QFAAS_WORKER: identity.name,
      QFAAS_CA: ca.cert,
      ...env,
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Its TLS identity on stdin, as the invoker gives it.
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(encodeWorkerSecrets({
    tls: { cert: identity.cert, key: identity.key, ticketKey: identity.ticketKey },
  })));
  await writer.close();
  const ready = await readReady(child.stdout);
  if (!ready) {
    throw new Error(`the watchdog exited before it was ready (code ${(await child.status).code})`);
  }
  const { port } = ready;
  return {
    port,
    identity,
    child,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* it has exited already */ }
      await child.status;
      await child.stderr.cancel().catch(() => {});
    },
  };
}

/**
 * An HTTP/3 client for `worker` as the invoker is: pre-seeded with the
 * worker's minted session (none with `session: null`), presenting `identity`
 * on a full handshake (default the invoker's).
 */
function clientFor(
  worker: Worker,
  options: { identity?: CertifiedKey | null; session?: Uint8Array | null } = {},
): { client: H3Client; url: (path: string) => string } {
  const origin = `https://${worker.identity.name}:${worker.port}`;
  const session = options.session === undefined ? worker.identity.session : options.session;
  const identity = options.identity === undefined ? invoker : options.identity;
  const client = new H3Client({
    ca: ca.cert,
    ...(identity ? { identity } : {}),
    sessions: new Map(session ? [[origin, session]] : []),
    resolve: () => ({ hostname: "127.0.0.1", port: worker.port, serverName: worker.identity.name }),
  });
  return { client, url: (path) => `${origin}${path}` };
}

/** How many requests the worker's function has run, this one included. */
async function calls(worker: Worker): Promise<number> {
  const probe = clientFor(worker);
  try {
    return Number(await (await probe.client.fetch(probe.url("/calls"))).text());
  } finally {
    await probe.client.close();
  }
}

/** A TLS client as the invoker's: the dev CA, and `identity` (default the invoker's). */
function tlsClient(identity: CertifiedKey | null = invoker): Deno.HttpClient {
  return Deno.createHttpClient({ caCerts: [ca.cert], ...(identity ?? {}) });
}

const nonce = () => newNonce();

Deno.test("watchdog (h3): the first request to a never-used worker goes out and is accepted in 0-RTT", async () => {
  await using worker = await spawnWorker();
  const { client, url } = clientFor(worker);
  try {
    const result = await client.request(url("/hello"), {
      method: "POST",
      body: "hi", // the client adds the nonce that lets a POST in 0-RTT through
    });
    assert.equal(result.earlyData, true);
    assert.equal(result.earlyDataAccepted, true);
    assert.equal(result.retried, false);
    assert.equal(await result.response.text(), "POST /hello hi");
    assert.equal(result.response.headers.get("x-qfaas-worker"), "echo-1");
    assert.equal(result.response.headers.get("x-qfaas-transport"), "h3");
    assert.match(result.response.headers.get("server-timing") ?? "", /function;dur=/);
  } finally {
    await client.close();
  }
});

Deno.test("watchdog (h3): a replayed early-data nonce gets 425, and the client's retry after the handshake succeeds", async () => {
  await using worker = await spawnWorker();
  const shared = nonce();
  const first = clientFor(worker);
  const second = clientFor(worker);
  try {
    const a = await first.client.request(first.url("/once"), {
      method: "POST",
      body: "x",
      headers: { [NONCE_HEADER]: shared },
    });
    assert.equal(a.response.status, 200);
    await a.response.text();
    const b = await second.client.request(second.url("/once"), {
      method: "POST",
      body: "x",
      headers: { [NONCE_HEADER]: shared },
    });
    assert.equal(
      b.retried,
      true,
      "the replayed nonce was refused with 425 and the request resent after the handshake",
    );
    assert.equal(b.response.status, 200);
    await b.response.text();
  } finally {
    await first.client.close();
    await second.client.close();
  }
});

Deno.test("watchdog: exec_timeout gives 504, a throw gives 500 with a request id, and the worker lives on", async () => {
  await using worker = await spawnWorker({ exec_timeout: "200ms" });
  const { client, url } = clientFor(worker);
  try {
    const hang = await client.fetch(url("/hang"));
    assert.equal(hang.status, 504);
    await hang.text();
    const thrown = await client.fetch(url("/throw"));
    assert.equal(thrown.status, 500);
    const id = thrown.headers.get("x-qfaas-request-id");
    assert.match(id ?? "", /^[0-9a-f-]{36}$/);
    assert.match(await thrown.text(), new RegExp(id!));
    assert.equal(await (await client.fetch(url("/alive"))).text(), "GET /alive");
  } finally {
    await client.close();
  }
});

Deno.test("watchdog: max_inflight answers 429 beyond the limit", async () => {
  await using worker = await spawnWorker({ max_inflight: "1" });
  const { client, url } = clientFor(worker);
  try {
    const responses = await Promise.all([client.fetch(url("/slow")), client.fetch(url("/slow"))]);
    const statuses = responses.map((r) => r.status).sort();
    await Promise.all(responses.map((r) => r.text()));
    assert.deepEqual(statuses, [200, 429]);
  } finally {
    await client.close();
  }
});

Deno.test("watchdog: the same function over tls, tls12 and tcp", async () => {
  for (const transport of ["tls", "tls12", "tcp"]) {
    await using worker = await spawnWorker({ QFAAS_TRANSPORT: transport });
    const scheme = transport === "tcp" ? "http" : "https";
    const http = tlsClient();
    try {
      const response = await fetch(`${scheme}://localhost:${worker.port}/t`, { client: http });
      assert.equal(await response.text(), "GET /t");
      assert.equal(response.headers.get("x-qfaas-transport"), transport);
    } finally {
      http.close();
    }
  }
});

/** The TLS version the invoker's identity gets from `port`, offering `versions`. */
const negotiate = (port: number, versions: Pick<NegotiateOptions, "minVersion" | "maxVersion">) =>
  negotiatedVersion(port, { ca: ca.cert, cert: invoker.cert, key: invoker.key, ...versions });

Deno.test("watchdog (tls12): speaks TLS 1.2 only; a TLS 1.3-only client is refused, and tls speaks 1.3", async () => {
  await using tls12 = await spawnWorker({ QFAAS_TRANSPORT: "tls12" });
  assert.equal(await negotiate(tls12.port, {}), "TLSv1.2", "a client offering 1.2 and 1.3");
  await assert.rejects(negotiate(tls12.port, { minVersion: "TLSv1.3" }));
  // The invoker's own client (Deno's fetch) offers both: it gets an answer, over 1.2.
  const http = tlsClient();
  try {
    const response = await fetch(`https://localhost:${tls12.port}/v`, { client: http });
    assert.equal(await response.text(), "GET /v");
  } finally {
    http.close();
  }
  await using tls = await spawnWorker({ QFAAS_TRANSPORT: "tls" });
  assert.equal(await negotiate(tls.port, {}), "TLSv1.3");
  assert.equal(await negotiate(tls.port, { maxVersion: "TLSv1.2" }), "TLSv1.2");
});

/** `size` bytes of "x" as a stream of 256-byte chunks, so that no content-length can be known. */
function streamOf(size: number): ReadableStream<Uint8Array> {
  let left = size;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const chunk = new Uint8Array(Math.min(256, left)).fill(0x78);
      left -= chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

Deno.test("startWatchdog() answers a body over QFAAS_MAX_BODY with 413 JSON on h3, tls and tcp, declared or streamed", async () => {
  for (const transport of ["h3", "tls", "tcp"]) {
    await using worker = await spawnWorker({ QFAAS_TRANSPORT: transport, QFAAS_MAX_BODY: "1000" });
    const h3 = transport === "h3" ? clientFor(worker) : null;
    const http = tlsClient();
    const scheme = transport === "tls" ? "https" : "http";
    const send = (body: BodyInit) =>
      h3 ? h3.client.fetch(h3.url("/b"), { method: "POST", body }) : fetch(
        `${scheme}://localhost:${worker.port}/b`,
        {
          method: "POST",
          body,
          client: http,
          duplex: "half",
        } as RequestInit & { client: Deno.HttpClient },
      );
    try {
      for (const [what, body] of [["declared", "x".repeat(1001)], ["streamed", streamOf(1001)]]) {
        const response = await send(body);
        assert.equal(response.status, 413, `${transport}, ${what}`);
        assert.deepEqual(await response.json(), { error: "request body exceeds 1000 bytes" });
      }
      const ok = await send(streamOf(1000));
      assert.equal(await ok.text(), `POST /b ${"x".repeat(1000)}`, transport);
    } finally {
      http.close();
      await h3?.client.close();
    }
  }
});

Deno.test("watchdog: SIGTERM lets an in-flight request finish", async () => {
  const worker = await spawnWorker();
  const { client, url } = clientFor(worker);
  try {
    const slow = client.fetch(url("/slow"));
    await new Promise((r) => setTimeout(r, 100));
    worker.child.kill("SIGTERM");
    const response = await slow;
    assert.equal(await response.text(), "GET /slow");
    assert.equal((await worker.child.status).code, 0);
  } finally {
    await client.close();
    await worker.child.stdout.cancel().catch(() => {});
    await worker.child.stderr.cancel().catch(() => {});
  }
});

Deno.test("watchdog (h3): a captured 0-RTT flight replayed from another socket does not run the function again", async () => {
  await using worker = await spawnWorker();
  // A relay that records what the client sends before the worker has answered: its first flight.
  const relay = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const target = { transport: "udp" as const, hostname: "127.0.0.1", port: worker.port };
  const flight: Uint8Array[] = [];
  let answered = false;
  let clientAddr: Deno.Addr | null = null;
  const relaying = (async () => {
    try {
      for (;;) {
        const [data, from] = await relay.receive();
        if ((from as Deno.NetAddr).port === worker.port) {
          answered = true;
          await relay.send(data, clientAddr!);
        } else {
          clientAddr = from;
          if (!answered) flight.push(data.slice());
          await relay.send(data, target);
        }
      }
    } catch { /* relay closed */ }
  })();
  const relayPort = (relay.addr as Deno.NetAddr).port;
  const origin = `https://${worker.identity.name}:${relayPort}`;
  const client = new H3Client({
    ca: ca.cert,
    identity: invoker,
    sessions: new Map([[origin, worker.identity.session]]),
    resolve: () => ({ hostname: "127.0.0.1", port: relayPort, serverName: worker.identity.name }),
  });
  const count = () => calls(worker);
  try {
    const original = await client.request(`${origin}/pay`, {
      method: "POST",
      body: "once",
    });
    assert.equal(original.earlyData, true);
    assert.equal(await original.response.text(), "POST /pay once");
    assert.ok(
      flight.length >= 2,
      `captured the Initial and the 0-RTT datagrams (${flight.length})`,
    );
    await client.close(); // and let the worker forget the connection before the replay
    await new Promise((r) => setTimeout(r, 1000));
    const attacker = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    for (const datagram of flight) await attacker.send(datagram, target);
    await new Promise((r) => setTimeout(r, 300));
    attacker.close();
    // One call for the original POST, one for this count: the replay added none.
    assert.equal(await count(), 2);
  } finally {
    relay.close();
    await relaying;
  }
});

/** A free TCP port on loopback, for an upstream that cannot pick its own. */
function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("watchdog: a Python http.server function runs unchanged as an fprocess upstream; its exit ends the worker", async () => {
  const port = freeTcpPort();
  await using worker = await spawnWorker({
    QFAAS_FUNCTION: "",
    fprocess: `python3 ${new URL("./testdata/python/server.py", import.meta.url).pathname}`,
    upstream_url: `http://127.0.0.1:${port}`,
    PORT: String(port),
  });
  const { client, url } = clientFor(worker);
  try {
    const post = await client.fetch(url("/py?x=1"), {
      method: "POST",
      body: "hello",
    });
    assert.equal(await post.text(), "python: POST /py?x=1 hello");
    assert.equal(post.headers.get("x-python"), "yes");
    assert.equal(post.headers.get("x-qfaas-worker"), "echo-1");
    // The upstream dies mid-request; the worker follows it. Nobody waits for an answer.
    client.fetch(url("/exit")).then((r) => r.body?.cancel(), () => {});
    const status = await worker.child.status;
    assert.equal(status.code, 1, "the worker exited because its upstream did");
  } finally {
    await client.close();
  }
});

// Mutual TLS: only the gateway's invoker reaches a worker, whatever the local process.
const strangerCa = await createCa("Unrelated CA");
const stranger = await issueLeaf(strangerCa, { commonName: "qfaas-invoker", role: "invoker" });
const otherWorker = await issueWorkerIdentity(ca, "echo-2");

/**
 * Who tries to get in, with what, and the TLS alert an h3 worker closes with:
 * BoringSSL's for the first two, the listener's role check (access_denied,
 * 49) for workers' certificates, which chain to the right CA.
 */
function intruders(worker: Worker): Array<[string, CertifiedKey | null, string]> {
  return [
    ["no certificate", null, "certificate_required"],
    ["a certificate from another CA", stranger, "unknown_ca"],
    ["another worker's certificate", otherWorker, "access_denied"],
    ["the worker's own certificate", worker.identity, "access_denied"],
  ];
}

Deno.test("watchdog (h3): refuses at the handshake a client with no certificate, another CA's, or a worker's", async () => {
  await using worker = await spawnWorker();
  for (const [who, identity, alert] of intruders(worker)) {
    const { client, url } = clientFor(worker, { identity, session: null });
    try {
      await assert.rejects(
        client.fetch(url("/intrude"), { method: "POST", body: "x" }),
        (error: unknown) => {
          assert.ok(String(error).includes(`CRYPTO_ERROR(${alert})`), `${who}: ${error}`);
          return true;
        },
        who,
      );
    } finally {
      await client.close();
    }
  }
  assert.equal(await calls(worker), 1, "the function ran for none of them (only this count)");
});

Deno.test("watchdog (h3): admits the invoker, over a full handshake and in 0-RTT on the first connection", async () => {
  await using worker = await spawnWorker();
  // The pre-seeded session carries the invoker's certificate: 0-RTT, accepted, first connection.
  const seeded = clientFor(worker, { identity: null });
  const full = clientFor(worker, { session: null });
  try {
    const early = await seeded.client.request(seeded.url("/seeded"), { method: "POST", body: "a" });
    assert.equal(early.earlyData, true);
    assert.equal(early.earlyDataAccepted, true);
    assert.equal(await early.response.text(), "POST /seeded a");
    const handshake = await full.client.request(full.url("/full"), { method: "POST", body: "b" });
    assert.equal(handshake.earlyData, false);
    assert.equal(await handshake.response.text(), "POST /full b");
  } finally {
    await seeded.client.close();
    await full.client.close();
  }
});

Deno.test("watchdog (tls): refuses at the handshake anyone but the invoker", async () => {
  await using worker = await spawnWorker({ QFAAS_TRANSPORT: "tls" });
  const url = `https://localhost:${worker.port}/t`;
  for (const [who, identity] of intruders(worker)) {
    const client = tlsClient(identity);
    try {
      await assert.rejects(
        fetch(url, { client, signal: AbortSignal.timeout(5000) }),
        (error: unknown) => {
          // rustls refuses the first two; the listener's role check closes on the workers.
          assert.ok(error instanceof TypeError, `${who}: ${error}`);
          // With no certificate the alert says why, unless the server's close wins the race
          // with it (seen under load in CI): either way the handshake failed.
          if (!identity) {
            assert.match(
              String(error.cause),
              /CertificateRequired|without sending TLS close_notify/,
            );
          }
          return true;
        },
      );
    } finally {
      client.close();
    }
  }
  const client = tlsClient();
  try {
    const response = await fetch(url, { client });
    assert.equal(await response.text(), "GET /t");
    // Nothing else ran: the worker's /calls counts this request too.
    assert.equal(
      await (await fetch(`https://localhost:${worker.port}/calls`, { client })).text(),
      "2",
    );
  } finally {
    client.close();
  }
});
