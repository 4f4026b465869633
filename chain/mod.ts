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

/**
 * How a worker reaches the gateway. The watchdog builds it from the secrets on
 * its stdin (watchdog/contract.ts) and installs it (`installGatewayLink`);
 * function code never sees it, since it holds the worker's key.
 */
export interface GatewayLink {
  /** The gateway's internal HTTP/3 origin, e.g. https://localhost:40123. */
  url: string;
  /** PEM CA the gateway's certificate chains to. */
  ca: string;
  /** A session minted for the gateway's internal listener: the first call is 0-RTT. */
  session: Uint8Array | null;
  /** Where the gateway's "localhost" is when it runs on another host; default 127.0.0.1. */
  address?: string;
  /**
   * The worker's own certificate and key (PEM): the gateway's internal
   * listener admits only workers (mutual TLS). Presented on a full
   * handshake; a resumed session — the minted one included — already carries
   * a worker certificate. Never read from the environment.
   */
  identity?: { cert: string; key: string };
}

/** The environment variables the invoker gives every worker. */
export const GATEWAY_ENV = {
  /** Where a function's plain `fetch` reaches the gateway (the internal origin by default). */
  url: "QFAAS_GATEWAY_URL",
  /** Where the gateway's "localhost" is when it runs on another host. */
  address: "QFAAS_GATEWAY_ADDRESS",
} as const;

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
    identity: link.identity,
    sessions,
    // The gateway's certificate names localhost; it listens on loopback unless placed elsewhere.
    resolve: (url) => ({
      hostname: url.hostname === "localhost" ? link.address ?? "127.0.0.1" : url.hostname,
      port: Number(url.port || gateway.port || 443),
      serverName: url.hostname,
    }),
  });
}

/** The worker's link and its one HTTP/3 gateway client, shared by `invoke` and the routed `fetch`. */
let shared: { link: GatewayLink; client: H3Client } | null = null;

/** How `invoke` reaches the gateway: its origin and the fetch to use. */
interface GatewayTarget {
  base: string;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
}

/** HTTP/3 over the installed link, else plain HTTP(S) to the environment's gateway URL. */
function gatewayTarget(): GatewayTarget {
  if (shared) {
    const { link, client } = shared;
    return { base: link.url, fetch: (url, init) => client.fetch(url, init) };
  }
  const url = Deno.env.get(GATEWAY_ENV.url);
  if (!url) {
    throw new Error(
      `Cannot invoke a function: ${GATEWAY_ENV.url} is not set (run inside qfaas dev, or set it)`,
    );
  }
  return { base: new URL(url).origin, fetch: (to, init) => fetch(to, init) };
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
 * Installs the worker's link (the watchdog does, once, before its function
 * loads): `invoke` then rides it, and so do `fetch` calls for the gateway's
 * origin, so functions that call the gateway with plain `fetch` ride 0-RTT
 * unchanged. Other origins go to the original `fetch`.
 */
export function installGatewayLink(link: GatewayLink): void {
  if (shared) throw new Error("Cannot install a gateway link: this worker has one");
  shared = { link, client: gatewayClient(link) };
  const { client } = shared;
  const original = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(`${link.url}/`) && url !== link.url) return original(input, init);
    return client.fetch(input, init);
  };
}

/**
 * A new HTTP/3 client over this worker's link, with its own options (for
 * example `pool: false`, a new connection per call, as the paper's chain
 * measures); null outside a worker with a link.
 */
export function workerGatewayClient(
  options: Pick<H3ClientOptions, "pool" | "earlyData"> = {},
): H3Client | null {
  return shared ? gatewayClient(shared.link, options) : null;
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
