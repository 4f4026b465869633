/**
 * HTTPS (TLS over TCP) serving a fetch handler with Nagle's algorithm off.
 * `Deno.serve` leaves TCP_NODELAY unset on the connections it accepts: after a
 * TLS 1.3 handshake the session ticket and the response are two small writes,
 * and the second waits for the client's delayed ACK — 40 ms on Linux, in about
 * a third of new connections here (measured). `node:https` with `noDelay` does
 * not wait, so TLS is served through it (and Hono's request adapter).
 *
 * @module
 */
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";

/** A running HTTPS server. */
export interface HttpsServer {
  /** The address it listens on. */
  readonly addr: { hostname: string; port: number };
  /** Stops accepting, lets requests in flight finish, closes idle connections. */
  shutdown(): Promise<void>;
}

/** Where and with what certificate to serve. */
export interface HttpsOptions {
  /** Address to bind. */
  hostname: string;
  /** Port; 0 picks one. */
  port: number;
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
}

/** Serves `handler` over HTTPS; resolves once it listens. */
export function serveHttps(
  options: HttpsOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<HttpsServer> {
  const server = createServer(
    { cert: options.cert, key: options.key, noDelay: true },
    // Keep the global Request and Response Deno's own: Deno.serve accepts no other.
    getRequestListener(handler, { overrideGlobalObjects: false }),
  );
  return new Promise((resolve, reject) => {
    // The same error Deno.serve throws, so callers handle one kind.
    const failed = (error: Error & { code?: string }) =>
      reject(error.code === "EADDRINUSE" ? new Deno.errors.AddrInUse(error.message) : error);
    server.once("error", failed);
    server.listen(options.port, options.hostname, () => {
      server.off("error", failed);
      const { port } = server.address() as AddressInfo;
      resolve({
        addr: { hostname: options.hostname, port },
        shutdown: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
