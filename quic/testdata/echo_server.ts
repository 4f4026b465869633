// A QUIC server process for tests and benchmarks. Configuration arrives in the
// environment (QFAAS_TEST_QUIC: JSON with cert, key, ca, base64 ticketKey) —
// never argv. It prints {"port": N} once warm. Per stream, the request's first
// line is a command:
//   "echo\n<body>"  → <body>
//   "bytes N"       → N bytes
//   "info"          → {"early": boolean}: did the request arrive in 0-RTT?
import { quicheEngine } from "../mod.ts";
import { warmUp } from "../warm_up.ts";
import { readAll } from "../_test_helpers.ts";
import type { QuicStreamLike } from "../mod.ts";

const config = JSON.parse(Deno.env.get("QFAAS_TEST_QUIC") ?? "{}");
const ticketKey = config.ticketKey
  ? Uint8Array.from(atob(config.ticketKey), (c) => c.charCodeAt(0))
  : undefined;
const hostname = config.hostname ?? "127.0.0.1";
const alpn = config.alpn ?? ["qfaas-test"];
const listener = await quicheEngine.listen({
  hostname,
  port: config.port ?? 0,
  tls: { cert: config.cert, key: config.key, ticketKey },
  alpn,
});

const encoder = new TextEncoder();
let early = 0;

async function handle(stream: QuicStreamLike): Promise<void> {
  const request = await readAll(stream.readable!);
  const newline = request.indexOf(10);
  const command = new TextDecoder().decode(newline < 0 ? request : request.subarray(0, newline));
  if (stream.earlyData) early++;
  const writer = stream.writable!.getWriter();
  if (command === "echo") {
    await writer.write(request.subarray(newline + 1));
  } else if (command.startsWith("bytes ")) {
    const total = Number(command.slice(6));
    const chunk = new Uint8Array(64 * 1024).fill(120);
    for (let sent = 0; sent < total; sent += chunk.byteLength) {
      await writer.write(chunk.subarray(0, Math.min(chunk.byteLength, total - sent)));
    }
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
      for await (const stream of conn.incomingBidirectionalStreams) handle(stream).catch(() => {});
    })();
  }
})();

await warmUp(quicheEngine, listener, { ca: config.ca, serverName: "localhost", alpn });
console.log(JSON.stringify({ port: listener.addr.port }));
Deno.addSignalListener("SIGTERM", async () => {
  await listener.close();
  Deno.exit(0);
});
