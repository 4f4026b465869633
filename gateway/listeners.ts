/**
 * The gateway's listeners: HTTP/1.1 over TCP, HTTPS (TLS 1.3, or 1.2 for
 * clients without it) over TCP with Nagle off (see watchdog/https_server.ts),
 * and HTTP/3 over UDP on the HTTPS port (Retry address validation when under
 * load), each serving the same fetch handler. TCP responses advertise HTTP/3 in
 * `alt-svc` (RFC 7838) so browsers move over.
 *
 * @module
 */
import { type H3Server, serveH3 } from "../h3/mod.ts";
import { quicheEngine, type QuicListenOptions, TICKET_KEY_LENGTH } from "../quic/mod.ts";
import { type HttpsServer, serveHttps } from "../watchdog/mod.ts";

/** Where and how to listen. */
export interface ListenOptions {
  /** Address to bind. Default "127.0.0.1". */
  hostname?: string;
  /** HTTP/1.1 port; 0 picks one, null turns it off. Default 8080. */
  httpPort?: number | null;
  /** HTTPS and HTTP/3 port (TCP and UDP); 0 picks one, null turns both off. Default 8443. */
  httpsPort?: number | null;
  /**
   * Certificate and key for HTTPS and HTTP/3, and the HTTP/3 session ticket
   * key (48 bytes; random when absent, so sessions last as long as the process).
   */
  tls: { cert: string; key: string; ticketKey?: Uint8Array };
  /**
   * Retry-based address validation on the HTTP/3 listener (see
   * `QuicListenOptions.validateAddress`). Default "under-load": no Retry, so
   * no lost round trip and no lost 0-RTT, until a flood of handshakes from
   * unvalidated addresses is in flight.
   */
  validateAddress?: QuicListenOptions["validateAddress"];
  /**
   * Hold the HTTPS listener to TLS 1.2: the QFaaS paper's baseline, for a
   * benchmark whose functions call back over TLS 1.2 (`qfaas bench app`'s
   * tls12). Default TLS 1.3, and 1.2 for clients that lack it.
   */
  httpsMaxVersion?: "TLSv1.2";
}

/** The running listeners. */
export interface Listeners {
  /** Base URL of the HTTP/1.1 listener, if on. */
  readonly http: string | null;
  /** Base URL of the HTTPS listener, if on (HTTP/3 answers on the same port over UDP). */
  readonly https: string | null;
  /** Port of the HTTP/3 listener, if on. */
  readonly h3Port: number | null;
  /** Stops accepting, finishes in-flight requests, closes everything. */
  shutdown(): Promise<void>;
}

/** How a request reached the gateway. */
export interface IngressInfo {
  /** The listener that took it ("internal": functions calling functions over HTTP/3). */
  protocol: "http" | "https" | "h3" | "internal";
  /** It arrived in 0-RTT early data (HTTP/3 only), so it may be a replay. */
  earlyData: boolean;
}

/** What the listeners serve. */
export type FetchHandler = (
  request: Request,
  info: IngressInfo,
) => Response | Promise<Response>;

function origin(scheme: string, hostname: string, port: number): string {
  // The dev certificate names localhost: HTTPS URLs use that name for loopback and any-address.
  const loopback = ["0.0.0.0", "::", "127.0.0.1", "::1"].includes(hostname);
  if (loopback && scheme === "https") return `https://localhost:${port}`;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `${scheme}://${hostname === "0.0.0.0" ? "localhost" : host}:${port}`;
}

/** Starts the listeners; resolves once all of them accept. */
export async function listen(handler: FetchHandler, options: ListenOptions): Promise<Listeners> {
  const hostname = options.hostname ?? "127.0.0.1";
  const httpPort = options.httpPort === undefined ? 8080 : options.httpPort;
  const httpsPort = options.httpsPort === undefined ? 8443 : options.httpsPort;
  const servers: (Deno.HttpServer | HttpsServer)[] = [];
  let h3: H3Server | null = null;
  let h3Port: number | null = null;
  let https: string | null = null;
  let http: string | null = null;
  let altSvc: string | null = null;
  const advertise = async (request: Request, info: IngressInfo) => {
    const response = await handler(request, info);
    if (altSvc === null) return response;
    try {
      response.headers.set("alt-svc", altSvc);
      return response;
    } catch {
      // Immutable headers (a fetched response): copy it to add the field.
      const copy = new Response(response.body, response);
      copy.headers.set("alt-svc", altSvc);
      return copy;
    }
  };
  try {
    if (httpsPort !== null) {
      const secure = await serveHttps(
        {
          hostname,
          port: httpsPort,
          cert: options.tls.cert,
          key: options.tls.key,
          maxVersion: options.httpsMaxVersion,
        },
        (request) => advertise(request, { protocol: "https", earlyData: false }),
      );
      servers.push(secure);
      const port = secure.addr.port;
      https = origin("https", hostname, port);
      const listener = await quicheEngine.listen({
        hostname,
        port,
        // One ticket key for every config of the listener (quiche builds one per
        // datagram size), else each would have a BoringSSL key of its own.
        tls: {
          ...options.tls,
          ticketKey: options.tls.ticketKey ??
            crypto.getRandomValues(new Uint8Array(TICKET_KEY_LENGTH)),
        },
        alpn: ["h3"],
        validateAddress: options.validateAddress ?? "under-load",
      });
      h3 = serveH3(
        listener,
        (request, info) => handler(request, { protocol: "h3", earlyData: info.earlyData }),
        // The app enforces each function's own max_body, counting as the body streams.
        { maxBodySize: Infinity },
      );
      h3Port = listener.addr.port;
      altSvc = `h3=":${h3Port}"; ma=86400`;
    }
    if (httpPort !== null) {
      const plain = Deno.serve(
        { hostname, port: httpPort, onListen() {} },
        (request) => advertise(request, { protocol: "http", earlyData: false }),
      );
      servers.push(plain);
      http = origin("http", hostname, plain.addr.port);
    }
  } catch (error) {
    await Promise.allSettled([...servers.map((s) => s.shutdown()), h3?.shutdown()]);
    throw error;
  }
  return {
    http,
    https,
    h3Port,
    async shutdown() {
      await Promise.all([...servers.map((s) => s.shutdown()), h3?.shutdown()]);
    },
  };
}
