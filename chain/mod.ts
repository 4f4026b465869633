/**
 * The function chain library: functions call functions through the gateway
 * over HTTP/3, and the first call from a new worker is already 0-RTT,
 * because the worker was spawned with a session minted for the gateway.
 *
 * @example
 * ```ts
 * import { invoke } from "qfaas/chain";
 * export default async (req: Request) => {
 *   const answer = await invoke("echo", { method: "POST", body: "hi" });
 *   return new Response(await answer.text());
 * };
 * ```
 *
 * Functions that use plain `fetch(Deno.env.get("QFAAS_GATEWAY_URL") + "/function/echo")`
 * take the same path: the watchdog routes the gateway's origin through this
 * client (see `installGatewayFetch`).
 *
 * @module
 */
import { H3Client, type H3ClientOptions } from "../h3/mod.ts";

/** How a worker reaches the gateway, read from its environment. */
export interface GatewayLink {
  /** The gateway's internal HTTP/3 origin, e.g. https://localhost:40123. */
  url: string;
  /** PEM CA the gateway's certificate chains to. */
  ca: string;
  /** A session minted for the gateway's internal listener: the first call is 0-RTT. */
  session: Uint8Array | null;
  /** Where the gateway's "localhost" is when it runs on another host; default 127.0.0.1. */
  address?: string;
}

/** The environment variables the invoker gives every worker. */
export const GATEWAY_ENV = {
  url: "QFAAS_GATEWAY_URL",
  session: "QFAAS_GATEWAY_SESSION",
  address: "QFAAS_GATEWAY_ADDRESS",
  ca: "QFAAS_CA",
} as const;

/**
 * Reads the HTTP/3 gateway link from an environment; null outside a QFaaS
 * worker, or when the gateway URL given is plain HTTP or HTTPS over TCP.
 */
export function gatewayLink(env: Record<string, string | undefined>): GatewayLink | null {
  const url = env[GATEWAY_ENV.url];
  const ca = env[GATEWAY_ENV.ca];
  if (!url || !ca || !url.startsWith("https:") || !env[GATEWAY_ENV.session]) return null;
  const session = env[GATEWAY_ENV.session];
  return {
    url: new URL(url).origin,
    ca,
    session: session ? Uint8Array.fromBase64(session) : null,
    ...(env[GATEWAY_ENV.address] ? { address: env[GATEWAY_ENV.address] } : {}),
  };
}

/**
 * An HTTP/3 client for the gateway whose session store starts with the minted
 * session; `options` can keep sessions elsewhere, or open a connection per request.
 */
export function gatewayClient(
  link: GatewayLink,
  options: Pick<H3ClientOptions, "sessions" | "pool" | "earlyData"> = {},
): H3Client {
  const sessions = options.sessions ?? new Map<string, Uint8Array>();
  if (link.session && !sessions.get(link.url)) sessions.set(link.url, link.session);
  const gateway = new URL(link.url);
  return new H3Client({
    ...options,
    ca: link.ca,
    sessions,
    // The gateway's certificate names localhost; it listens on loopback unless placed elsewhere.
    resolve: (url) => ({
      hostname: url.hostname === "localhost" ? link.address ?? "127.0.0.1" : url.hostname,
      port: Number(url.port || gateway.port || 443),
      serverName: url.hostname,
    }),
  });
}

/** The worker's one HTTP/3 gateway client, shared by `invoke` and the routed `fetch`. */
let shared: { link: GatewayLink; client: H3Client } | null = null;

/** How `invoke` reaches the gateway: its origin and the fetch to use. */
interface GatewayTarget {
  base: string;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
}

/** Read from the environment once: HTTP/3 with the minted session, else plain HTTP(S). */
let target: GatewayTarget | null = null;

function gatewayTarget(): GatewayTarget {
  if (target) return target;
  const env = Deno.env.toObject();
  const link = gatewayLink(env);
  if (link) {
    shared ??= { link, client: gatewayClient(link) };
    const h3 = shared.client;
    return target = { base: link.url, fetch: (url, init) => h3.fetch(url, init) };
  }
  const url = env[GATEWAY_ENV.url];
  if (!url) {
    throw new Error(
      `Cannot invoke a function: ${GATEWAY_ENV.url} is not set (run inside qfaas dev, or set it)`,
    );
  }
  return target = { base: new URL(url).origin, fetch: (to, init) => fetch(to, init) };
}

/**
 * Calls function `name` (optionally with a sub-path and query: "resize/thumb?w=64")
 * through the gateway and returns its response. Over HTTP/3 when the worker
 * has a gateway link, else with `fetch` to a plain HTTP(S) gateway URL.
 */
export function invoke(name: string, init?: RequestInit): Promise<Response> {
  const { base, fetch: send } = gatewayTarget();
  return send(`${base}/function/${name.replace(/^\/+/, "")}`, init);
}

/**
 * Routes `fetch` calls for the gateway's origin through the worker's HTTP/3
 * client (the one `invoke` uses), so functions that call the gateway with
 * plain `fetch` ride 0-RTT unchanged. Other origins go to the original `fetch`.
 */
export function installGatewayFetch(link: GatewayLink): void {
  const original = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(`${link.url}/`) && url !== link.url) return original(input, init);
    shared ??= { link, client: gatewayClient(link) };
    return shared.client.fetch(input, init);
  };
}

/** A loopback HTTP/1.1 endpoint that forwards to the gateway over HTTP/3. */
export interface GatewayProxy {
  /** Its base URL, e.g. http://127.0.0.1:40999: what upstream functions get as `gateway_url`. */
  readonly url: string;
  /** Stops it. */
  shutdown(): Promise<void>;
}

/**
 * Starts the proxy an upstream (fprocess) function in any language uses to
 * call other functions: plain HTTP on loopback, then QUIC 0-RTT to the gateway.
 */
export function startGatewayProxy(link: GatewayLink): GatewayProxy {
  const h3 = gatewayClient(link);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.delete("host");
    return h3.fetch(`${link.url}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: request.body,
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async shutdown() {
      await server.shutdown();
      await h3.close();
    },
  };
}
