// A QUIC server process for tests and benchmarks. Configuration arrives in the
// environment (QFAAS_TEST_QUIC: JSON with cert, key, ca, base64 ticketKey) —
// never argv. It prints {"port": N} once warm. Per stream, the request's first
// line is a command:
//   "echo\n<body>"  → <body>
//   "bytes N"       → N bytes
//   "info"          → {"early": boolean}: did the request arrive in 0-RTT?
//   "memory"        → {"rss": bytes, "heap": bytes, "connections": N}
//   "stats"         → this connection's packet counters (sent, recv, lost, …)
// With "http": true it also serves HTTP/1.1 and HTTPS (TLS 1.3) on TCP —
// GET /bytes/N → N bytes, anything else → "ok" — for side-by-side baselines.
import { quicheEngine } from "../mod.ts";
import { warmUp } from "../warm_up.ts";
import { readToEnd } from "../_test_helpers.ts";
import { serveHttps } from "../../watchdog/https_server.ts";
import type { QuicConn, QuicStreamLike } from "../mod.ts";

const config = JSON.parse(Deno.env.get("QFAAS_TEST_QUIC") ?? "{}");
const ticketKey = config.ticketKey ? Uint8Array.fromBase64(config.ticketKey) : undefined;
const hostname = config.hostname ?? "127.0.0.1";
const alpn = config.alpn ?? ["qfaas-test"];
const listener = await quicheEngine.listen({
  hostname,
  port: config.port ?? 0,
  tls: { cert: config.cert, key: config.key, ticketKey },
  alpn,
  limits: config.limits,
});

const encoder = new TextEncoder();
let early = 0;

async function handle(stream: QuicStreamLike, conn: QuicConn): Promise<void> {
  const request = await readToEnd(stream);
  const newline = request.indexOf(10);
  const command = new TextDecoder().decode(newline < 0 ? request : request.subarray(0, newline));
  if (stream.earlyData) early++;
  const writer = {
    write: (bytes: Uint8Array) => stream.write(bytes),
    close: () => stream.write(new Uint8Array(0), true),
  };
  if (command === "echo") {
    await writer.write(request.subarray(newline + 1));
  } else if (command.startsWith("bytes ")) {
    const total = Number(command.slice(6));
    const chunk = new Uint8Array(64 * 1024).fill(120);
    for (let sent = 0; sent < total; sent += chunk.byteLength) {
      await writer.write(chunk.subarray(0, Math.min(chunk.byteLength, total - sent)));
    }
  } else if (command === "memory") {
    // Collect first (the process runs with --expose-gc) so garbage is not counted.
    (globalThis as { gc?: () => void }).gc?.();
    const usage = Deno.memoryUsage();
    const connections = listener.connections;
    await writer.write(
      encoder.encode(JSON.stringify({ rss: usage.rss, heap: usage.heapUsed, connections })),
    );
  } else if (command === "stats") {
    await writer.write(encoder.encode(JSON.stringify(conn.stats())));
  } else if (command === "info") {
    await writer.write(
      encoder.encode(JSON.stringify({ early: stream.earlyData, earlyTotal: early })),
    );
  } else {
    await writer.write(encoder.encode(`unknown command ${command}`));
  }
  await writer.close();
}

(async () => {
  for await (const conn of listener) {
    (async () => {
      for await (const stream of conn.incomingBidirectionalStreams) {
        handle(stream, conn).catch(() => {});
      }
    })();
  }
})();

const megabyte = new Uint8Array(1024 * 1024).fill(120);
function httpHandler(request: Request): Response {
  const match = /^\/bytes\/(\d+)$/.exec(new URL(request.url).pathname);
  if (!match) return new Response("ok");
  const size = Number(match[1]);
  return new Response(
    size <= megabyte.byteLength ? megabyte.subarray(0, size) : new Uint8Array(size),
  );
}
const ports: Record<string, number> = {};
const httpServers: { addr: { port: number }; shutdown(): Promise<void> }[] = [];
if (config.http) {
  httpServers.push(Deno.serve({ hostname, port: 0, onListen() {} }, httpHandler));
  // HTTPS with Nagle off, as the platform serves it (see watchdog/https_server.ts).
  httpServers.push(
    await serveHttps({ hostname, port: 0, cert: config.cert, key: config.key }, httpHandler),
  );
  ports.http = httpServers[0].addr.port;
  ports.https = httpServers[1].addr.port;
}

await warmUp(quicheEngine, listener, { ca: config.ca, serverName: "localhost", alpn });
console.log(JSON.stringify({ port: listener.addr.port, ...ports }));
// SIGTERM: stop listening and let the event loop run dry, so the process
// ends normally (and a --cpu-prof profile gets written).
const onTerm = async () => {
  Deno.removeSignalListener("SIGTERM", onTerm);
  await Promise.all([listener.close(), ...httpServers.map((s) => s.shutdown())]);
};
Deno.addSignalListener("SIGTERM", onTerm);
