/**
 * HTTPS (TLS over TCP) serving a fetch handler with Nagle's algorithm off.
 * `Deno.serve` leaves TCP_NODELAY unset on the connections it accepts: after a
 * TLS 1.3 handshake the session ticket and the response are two small writes,
 * and the second waits for the client's delayed ACK — 40 ms on Linux, in about
 * a third of new connections here (measured). `node:https` with `noDelay` does
 * not wait, so TLS is served through it (and Hono's request adapter).
 *
 * It can also require client certificates (mutual TLS, `clientAuth`), which
 * `Deno.serve` and `Deno.listenTls` cannot: their options have no client CA
 * (Deno 2.9). Deno's `node:tls` server verifies a client chain with rustls
 * (`NodeClientCertVerifier`: the CA, and the clientAuth usage) when asked
 * with `requestCert` and `rejectUnauthorized`, and refuses a client without
 * one with the certificate_required alert (measured). What rustls does not
 * check, the role's extended key usage, is checked here as soon as the
 * handshake is done, before the connection reaches HTTP.
 *
 * It can be held to TLS 1.2 (`maxVersion`), the QFaaS paper's baseline, which
 * `Deno.serve` cannot either; Deno's `node:tls` then negotiates 1.2 with any
 * client and refuses one that offers only 1.3 (tested).
 *
 * @module
 */
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { getRequestListener } from "@hono/node-server";
import { encodeOid, hasExtendedKeyUsage } from "../quic/mod.ts";

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
  /**
   * Require client certificates (mutual TLS): chaining to `ca` (PEM), and
   * with the extended key usage `extKeyUsage` (an OID naming a role), if set.
   * Other clients do not get past the handshake.
   */
  clientAuth?: { ca: string; extKeyUsage?: string };
  /** The highest TLS version to speak. Default TLS 1.3 (and 1.2 for clients that lack it). */
  maxVersion?: "TLSv1.2" | "TLSv1.3";
}

/** Refuses, once the handshake is done, a client whose leaf lacks `usage`. */
function requireUsage(socket: TLSSocket, usage: Uint8Array): void {
  const raw = socket.getPeerCertificate()?.raw;
  if (raw && hasExtendedKeyUsage(new Uint8Array(raw), usage)) return;
  socket.destroy();
}

/** Serves `handler` over HTTPS; resolves once it listens. */
export function serveHttps(
  options: HttpsOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<HttpsServer> {
  const auth = options.clientAuth;
  const server = createServer(
    {
      cert: options.cert,
      key: options.key,
      noDelay: true,
      ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
      ...(auth ? { requestCert: true, rejectUnauthorized: true, ca: [auth.ca] } : {}),
    },
    // Keep the global Request and Response Deno's own: Deno.serve accepts no other.
    getRequestListener(handler, { overrideGlobalObjects: false }),
  );
  if (auth?.extKeyUsage) {
    const usage = encodeOid(auth.extKeyUsage);
    // Before the HTTP server's own listener: a refused socket never carries a request.
    server.prependListener("secureConnection", (socket: TLSSocket) => requireUsage(socket, usage));
  }
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
