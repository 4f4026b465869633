/**
 * The watchdog: one function behind the transport it is given (h3, tls,
 * tls12 or tcp), with the limits OpenFaaS users expect — exec_timeout → 504,
 * max_inflight → 429, a throwing function → 500 with a request id, a body
 * over max_body → 413 — none of which ends the worker, 0-RTT anti-replay,
 * and drain on shutdown. Request bodies stream to the function: the size
 * limit is counted as they pass, never by buffering them.
 *
 * Over h3 and tls (and tls12) only the gateway's invoker gets in (mutual TLS): a client
 * must present a certificate from the dev CA with the invoker role, checked
 * at the handshake — a pre-seeded 0-RTT session carries it. No certificate,
 * another CA's, or a worker's own (which another worker could present) is
 * refused before any request is read. tcp stays the unauthenticated baseline.
 *
 * @module
 */
import { boundBody, type BoundedBody, tooLarge } from "./body_limit.ts";
import { H3Client, ReplayGuard, serveH3 } from "../h3/mod.ts";
import { type QuicClientAuth, quicheEngine } from "../quic/mod.ts";
// Not pki/mod.ts: it loads @peculiar/x509 (~250 ms, measured) at every worker
// start. roles.ts imports nothing.
import { ROLE_EKU } from "../pki/roles.ts";
import { tcpTlsVersion } from "../config/settings.ts";
import type { WatchdogConfig } from "./config.ts";
import { WORKER_HEADERS } from "./contract.ts";
import type { FunctionHandler } from "./function_loader.ts";

/** A running watchdog. */
export interface Watchdog {
  /** The port it listens on. */
  readonly port: number;
  /** Requests in flight now. */
  readonly inflight: number;
  /** Stops accepting, lets in-flight requests finish, then closes. */
  shutdown(): Promise<void>;
}

/** What a request's processing adds to the response. */
function annotate(
  response: Response,
  config: WatchdogConfig,
  timing: string,
  requestId?: string,
): Response {
  // Most responses a function builds have mutable headers: add to them in
  // place. A fetched one (an upstream's) is immutable: copy it then.
  let target = response;
  try {
    target.headers.set(WORKER_HEADERS.worker, config.name);
  } catch {
    target = new Response(response.body, response);
    target.headers.set(WORKER_HEADERS.worker, config.name);
  }
  target.headers.set(WORKER_HEADERS.transport, config.transport);
  target.headers.append("server-timing", timing);
  if (requestId) target.headers.set(WORKER_HEADERS.requestId, requestId);
  return target;
}

/**
 * Wraps `handler` with the watchdog's limits and headers. Over tls and tcp it
 * also enforces `maxBodyBytes` (over h3, `serveH3` does, with the same answer).
 */
export function guard(
  handler: FunctionHandler,
  config: WatchdogConfig,
  onError: (error: unknown, requestId: string) => void = () => {},
): { handle: (request: Request, earlyData: boolean) => Promise<Response>; inflight: () => number } {
  const replay = new ReplayGuard({
    windowMs: config.replayWindowMs,
    replica: config.replica.length > 0 ? config.replica : undefined,
  });
  let inflight = 0;
  const handle = async (request: Request, earlyData: boolean): Promise<Response> => {
    if (!replay.admit(request, earlyData)) {
      return annotate(
        new Response("Too Early: retry after the handshake\n", { status: 425 }),
        config,
        "function;dur=0",
      );
    }
    if (earlyData) {
      // RFC 8470 §5.1: tell the function the request came in early data (it was admitted
      // as fresh; a function may still answer 425 itself).
      const headers = new Headers(request.headers);
      headers.set(WORKER_HEADERS.earlyData, "1");
      request = new Request(request, { headers });
    }
    if (inflight >= config.maxInflight) {
      return annotate(
        new Response("Too Many Requests: max_inflight reached\n", { status: 429 }),
        config,
        "function;dur=0",
      );
    }
    let bounded: BoundedBody | null = null;
    if (config.transport !== "h3") {
      const bound = boundBody(request, config.maxBodyBytes);
      if (bound === "too large") {
        return annotate(tooLarge(config.maxBodyBytes), config, "function;dur=0");
      }
      bounded = bound;
      if (bound.body !== request.body) {
        // From its parts: the HTTPS server's requests are Request-like, not Requests.
        const init = {
          method: request.method,
          headers: request.headers,
          body: bound.body,
          duplex: "half",
        };
        request = new Request(request.url, init as RequestInit);
      }
    }
    inflight++;
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<Response>((resolve) => {
        timer = setTimeout(
          () =>
            resolve(
              new Response(
                `Gateway Timeout: exec_timeout of ${config.execTimeoutMs} ms reached\n`,
                { status: 504 },
              ),
            ),
          config.execTimeoutMs,
        );
      });
      const response = await Promise.race([
        Promise.resolve().then(() => handler(request)),
        timeout,
      ]);
      const timing = `function;dur=${(performance.now() - started).toFixed(2)}`;
      if (bounded?.exceeded()) {
        // Whatever the function made of its cut-off body, the body decides.
        await response.body?.cancel().catch(() => {});
        return annotate(tooLarge(config.maxBodyBytes), config, timing);
      }
      // A request id only where someone will look for it: timeouts and errors.
      return annotate(
        response,
        config,
        timing,
        response.status === 504 ? crypto.randomUUID() : undefined,
      );
    } catch (error) {
      const timing = `function;dur=${(performance.now() - started).toFixed(2)}`;
      if (bounded?.exceeded()) return annotate(tooLarge(config.maxBodyBytes), config, timing);
      const requestId = crypto.randomUUID();
      onError(error, requestId);
      return annotate(
        new Response(`Internal Server Error: the function threw (request ${requestId})\n`, {
          status: 500,
        }),
        config,
        timing,
        requestId,
      );
    } finally {
      clearTimeout(timer);
      inflight--;
    }
  };
  return { handle, inflight: () => inflight };
}

/**
 * Who a worker's h3 and tls listeners admit: a certificate from `ca` with the
 * invoker role. store/worker_identity.ts mints the pre-seeded session under
 * the same rule.
 */
function invokerOnly(ca: string): QuicClientAuth {
  return { ca, extKeyUsage: ROLE_EKU.invoker };
}

/** The CA that verifies the invoker's certificate; h3 and tls cannot serve without it. */
function clientCa(config: WatchdogConfig): string {
  if (!config.ca) {
    throw new TypeError(
      `Cannot serve ${config.transport}: no CA (QFAAS_CA) to verify the invoker's certificate with`,
    );
  }
  return config.ca;
}

/**
 * Starts serving `handler` as `config` says; resolves once the server is warm
 * (`warmed`: the HTTP/3 path was warmed already, by a stem cell before it
 * got its function).
 */
export async function startWatchdog(
  handler: FunctionHandler,
  config: WatchdogConfig,
  onError?: (error: unknown, requestId: string) => void,
  options: { warmed?: boolean } = {},
): Promise<Watchdog> {
  const guarded = guard(handler, config, onError);
  if (config.transport === "h3") {
    const tls = config.tls!;
    const ca = clientCa(config);
    const listener = await quicheEngine.listen({
      hostname: config.hostname,
      port: config.port,
      tls: { cert: tls.cert, key: tls.key, ticketKey: tls.ticketKey, clientAuth: invokerOnly(ca) },
      alpn: ["h3"],
    });
    const server = serveH3(
      listener,
      (request, info) =>
        // The watchdog's own warm-up request never reaches the function.
        request.headers.has(WARM_UP_HEADER)
          ? new Response(null, { status: 204 })
          : guarded.handle(request, info.earlyData),
      { maxBodySize: config.maxBodyBytes },
    );
    if (!options.warmed) await warmUpH3(tls, config.hostname, ca);
    return {
      port: listener.addr.port,
      get inflight() {
        return guarded.inflight();
      },
      shutdown: () => server.shutdown(),
    };
  }
  const handle = (request: Request) =>
    request.headers.has(WARM_UP_HEADER)
      ? new Response(null, { status: 204 })
      : guarded.handle(request, false);
  // Loaded only for tls workers: the other transports start without node:https.
  const maxVersion = tcpTlsVersion(config.transport);
  const https = maxVersion ? await import("./https_server.ts") : null;
  const server = https
    ? await https.serveHttps(
      {
        hostname: config.hostname,
        port: config.port,
        cert: config.tls!.cert,
        key: config.tls!.key,
        clientAuth: invokerOnly(clientCa(config)),
        maxVersion: maxVersion!,
      },
      handle,
    )
    : Deno.serve({ hostname: config.hostname, port: config.port, onListen() {} }, handle);
  // Warm like an h3 worker, so that transports are compared on equal terms.
  if (https) await warmUpTls(config, clientCa(config), https.serveHttps, maxVersion!);
  else await warmUpTcp(config, server.addr.port);
  return {
    port: server.addr.port,
    get inflight() {
      return guarded.inflight();
    },
    shutdown: () => server.shutdown(),
  };
}

/** One request through the whole HTTP/1.1 path before reporting ready. */
async function warmUpTcp(config: WatchdogConfig, port: number): Promise<void> {
  const client = Deno.createHttpClient({});
  try {
    const url = `http://${config.hostname}:${port}/`;
    await (await fetch(url, { method: "OPTIONS", headers: { [WARM_UP_HEADER]: "1" }, client }))
      .arrayBuffer();
  } finally {
    client.close();
  }
}

/**
 * One request through the whole HTTPS path before reporting ready. The
 * listener admits only the invoker, whose key the worker does not hold, so
 * the warm-up goes to a throwaway server of the same code with no client
 * authentication, which answers 204 to anything and never reaches the function.
 */
async function warmUpTls(
  config: WatchdogConfig,
  ca: string,
  serveHttps: typeof import("./https_server.ts").serveHttps,
  maxVersion: "TLSv1.2" | "TLSv1.3",
): Promise<void> {
  const tls = config.tls!;
  const server = await serveHttps(
    { hostname: config.hostname, port: 0, cert: tls.cert, key: tls.key, maxVersion },
    () => new Response(null, { status: 204 }),
  );
  const client = Deno.createHttpClient({ caCerts: [ca] });
  try {
    // The certificate names the listening address too, so this verifies as clients do.
    const url = `https://${config.hostname}:${server.addr.port}/`;
    await (await fetch(url, { method: "OPTIONS", headers: { [WARM_UP_HEADER]: "1" }, client }))
      .arrayBuffer();
  } finally {
    client.close();
    await server.shutdown();
  }
}

/** Marks the watchdog's own warm-up request. */
const WARM_UP_HEADER = WORKER_HEADERS.warmUp;

/**
 * One request through the whole HTTP/3 path before reporting ready: the first
 * real request then pays no start-up cost (measured: ~32 ms cold, ~2 ms warm).
 * The listener admits only the invoker, whose key the worker does not hold,
 * so the warm-up goes to a throwaway listener of the same engine with no
 * client authentication, which answers 204 to anything and never reaches the
 * function.
 */
export async function warmUpH3(
  tls: { cert: string; key: string },
  hostname: string,
  ca: string,
): Promise<void> {
  const listener = await quicheEngine.listen({
    hostname,
    port: 0,
    tls: { cert: tls.cert, key: tls.key },
    alpn: ["h3"],
  });
  serveH3(listener, () => new Response(null, { status: 204 }));
  const port = listener.addr.port;
  // The certificate names localhost; the listener may be on another address (a bench host).
  const client = new H3Client({ ca, resolve: () => ({ hostname, port, serverName: "localhost" }) });
  try {
    const url = `https://localhost:${port}/`;
    await (await client.fetch(url, { method: "OPTIONS", headers: { [WARM_UP_HEADER]: "1" } }))
      .arrayBuffer();
  } finally {
    await client.close();
    await listener.close(); // and with it the throwaway server's connections
  }
}
