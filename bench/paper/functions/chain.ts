// The paper's nested chain (ServerlessBench): f(n) calls f(n-1) through the
// gateway and returns n. Each call opens a new connection to the gateway over
// the transport the bench gave this function (BENCH_TRANSPORT): plain HTTP,
// HTTPS (TLS 1.3, or 1.2 for tls12, whose gateway speaks only 1.2), or HTTP/3
// in 1-RTT or 0-RTT (the session minted at spawn, then the gateway's tickets)
// — the "non-continuous" pattern of the paper's §5.5. TLS 1.3 goes through
// node:https with Nagle off, as the invoker's does (invoker/https_client.ts
// says why); HTTP and TLS 1.2 through fetch, as the invoker's do.
import { request } from "node:https";
import { type ConnectionOptions, createSecureContext } from "node:tls";
import { workerGatewayClient } from "qfaas/chain";

const env = Deno.env.toObject();
const transport = env.BENCH_TRANSPORT ?? "h3-0rtt";
const name = env.BENCH_NEXT ?? "chain";
// pool: false opens a new connection per call, resuming with the minted session, then tickets.
const h3 = transport.startsWith("h3")
  ? workerGatewayClient({ pool: false, earlyData: transport === "h3-1rtt" ? "off" : "all" })
  : null;

const secureContext = transport === "tls" ? createSecureContext({ ca: [env.QFAAS_CA] }) : undefined;

/** A GET over a new TLS 1.3 connection, Nagle off. */
function httpsGet(url: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const tls: ConnectionOptions = { secureContext };
    const get = request(url, { ...tls, agent: false }, (response) => {
      const chunks: Uint8Array<ArrayBuffer>[] = [];
      response.on("data", (chunk: Uint8Array) => chunks.push(new Uint8Array(chunk)));
      response.once(
        "end",
        () => resolve(new Response(new Blob(chunks), { status: response.statusCode })),
      );
      response.once("error", reject);
    });
    get.once("socket", (socket) => socket.setNoDelay(true));
    get.once("error", reject);
    get.end();
  });
}

async function call(path: string): Promise<Response> {
  if (transport === "tcp" || transport === "tls12") {
    const tls = transport === "tls12";
    const client = Deno.createHttpClient(tls ? { caCerts: [env.QFAAS_CA] } : {});
    try {
      const base = tls ? env.BENCH_GATEWAY_HTTPS : env.BENCH_GATEWAY_HTTP;
      const response = await fetch(`${base}${path}`, { client });
      return new Response(await response.arrayBuffer(), response);
    } finally {
      client.close();
    }
  }
  if (!transport.startsWith("h3")) return await httpsGet(`${env.BENCH_GATEWAY_HTTPS}${path}`);
  if (!h3) throw new Error("no gateway link: run inside a qfaas worker");
  return await h3.fetch(`${env.QFAAS_GATEWAY_URL}${path}`);
}

export default async (request: Request): Promise<Response> => {
  const n = Number(new URL(request.url).searchParams.get("n") ?? "1");
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    return Response.json({ error: "n must be an integer from 1 to 16" }, { status: 400 });
  }
  if (n === 1) return Response.json({ n: 1 });
  const response = await call(`/function/${name}?n=${n - 1}`);
  if (!response.ok) {
    return Response.json({ error: `f(${n - 1}) failed`, status: response.status }, { status: 502 });
  }
  const inner = await response.json() as { n: number };
  return Response.json({ n: inner.n + 1 });
};
