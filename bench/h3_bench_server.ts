// The server process of bench:h3: one handler served over HTTP/3 (ours),
// HTTP/1.1 and HTTPS (Deno.serve), so transports are compared on equal terms.
// Configured like quic/testdata/echo_server.ts (QFAAS_TEST_QUIC); prints its ports.
import { H3Client, serveH3 } from "../h3/mod.ts";
import { quicheEngine } from "../quic/mod.ts";
import { serveHttps } from "../watchdog/mod.ts";
import { warmLargeAllocations } from "./harness.ts";

const config = JSON.parse(Deno.env.get("QFAAS_TEST_QUIC") ?? "{}");
const megabyte = new Uint8Array(1024 * 1024).fill(120);

function handler(request: Request): Response {
  const match = /^\/bytes\/(\d+)$/.exec(new URL(request.url).pathname);
  if (!match) return new Response("ok");
  return new Response(megabyte.subarray(0, Math.min(Number(match[1]), megabyte.byteLength)));
}

const listener = await quicheEngine.listen({
  hostname: "127.0.0.1",
  tls: { cert: config.cert, key: config.key },
  alpn: ["h3"],
  limits: config.limits,
});
const h3 = serveH3(listener, handler);
const quiet = { hostname: "127.0.0.1", port: 0, onListen() {} };
const http = Deno.serve(quiet, handler);
// HTTPS with Nagle off, as the platform serves it (see watchdog/https_server.ts).
const https = await serveHttps(
  { hostname: "127.0.0.1", port: 0, cert: config.cert, key: config.key },
  handler,
);

// Large allocations to their steady state, for every transport alike (see bench/harness.ts).
warmLargeAllocations();
// Warm the HTTP/3 path once, as a worker does before it reports ready.
const self = new H3Client({ ca: config.ca });
await (await self.fetch(`https://localhost:${listener.addr.port}/`)).text();
await self.close();

console.log(
  JSON.stringify({ port: listener.addr.port, http: http.addr.port, https: https.addr.port }),
);
const stop = async () => {
  Deno.removeSignalListener("SIGTERM", stop);
  await Promise.all([h3.shutdown(), http.shutdown(), https.shutdown()]);
};
Deno.addSignalListener("SIGTERM", stop);
