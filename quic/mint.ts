/**
 * Session minting in memory — the paper's "Generator". A client and a server
 * quiche connection exchange packets through plain buffers (no socket) until
 * the client holds a session ticket. Any process configured with the same
 * certificate and ticket key then accepts that session for 0-RTT, even on its
 * very first connection.
 *
 * For a server that requires client certificates (`server.clientAuth`), the
 * client presents `identity` and the session records it: a resumed
 * connection sends no certificate (TLS 1.3), so the one in the session is
 * what the server checks — and BoringSSL would resume a session recorded
 * without one (measured), which the listener then refuses.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { type HostPort, type NativeConnection, quiche } from "./_native.ts";
import { ClientAuthPolicy } from "./client_auth.ts";
import {
  clientConfig,
  type QuicIdentity,
  type QuicLimits,
  type QuicServerTls,
  resolveLimits,
  serverConfig,
} from "./config.ts";
import { CID_LENGTH } from "./endpoint.ts";
import { transportErrorName } from "./errors.ts";

/** What to mint a session for: the server's own TLS material and transport settings. */
export interface MintOptions {
  /** The server's certificate, key and ticket key; `ticketKey` is required here. */
  server: QuicServerTls & { ticketKey: Uint8Array };
  /** The CA the client will verify the server with. */
  ca: string;
  /** The name the client will connect to (SNI); the certificate must cover it. */
  serverName: string;
  /** ALPN protocols; 0-RTT requires the same one later (RFC 9001 §4.6.1). */
  alpn: readonly string[];
  /** The limits the real server will advertise: 0-RTT remembers them (RFC 9000 §7.4.1). */
  limits?: QuicLimits;
  /**
   * The client's certificate and key; required when `server.clientAuth` is
   * set. The session carries the certificate: it is who the server will see.
   */
  identity?: QuicIdentity;
}

const CLIENT: HostPort = { host: "192.0.2.1", port: 1 };
const SERVER: HostPort = { host: "192.0.2.2", port: 2 };

function pump(from: NativeConnection, to: NativeConnection, src: HostPort, dst: HostPort): number {
  const buffer = new Uint8Array(65536);
  let moved = 0;
  for (;;) {
    const sent = from.send(buffer);
    if (sent === null) return moved;
    moved++;
    to.recv(buffer.subarray(0, sent[0]), { from: src, to: dst });
  }
}

/**
 * Runs a full handshake in memory and returns the client's resumable session.
 * Throws if the handshake fails (for example, the certificate does not verify
 * against `ca` for `serverName`).
 */
export function mintSession(options: MintOptions): Uint8Array {
  const clientAuth = options.server.clientAuth;
  if (clientAuth && !options.identity) {
    throw new TypeError(
      `Cannot mint a session for ${options.serverName}: the server requires a client certificate and received no identity`,
    );
  }
  const policy = clientAuth ? new ClientAuthPolicy(clientAuth) : null;
  const limits = resolveLimits(options.limits);
  const server = serverConfig(options.server, options.alpn, limits);
  const client = clientConfig({ ca: options.ca, identity: options.identity }, options.alpn, limits);
  const c = quiche.Connection.connect(
    options.serverName,
    randomBytes(CID_LENGTH),
    CLIENT,
    SERVER,
    client,
  );
  const s = quiche.Connection.accept(randomBytes(CID_LENGTH), null, SERVER, CLIENT, server);
  const fail = (cause?: unknown) => {
    const error = c.localError() ?? c.peerError() ?? s.localError();
    const why = error ? transportErrorName(error.errorCode) : String(cause ?? "no ticket issued");
    return new Error(`Cannot mint a session for ${options.serverName}: handshake failed: ${why}`, {
      cause,
    });
  };
  let session: Uint8Array | null = null;
  try {
    for (let round = 0; round < 16 && session === null; round++) {
      const moved = pump(c, s, CLIENT, SERVER) + pump(s, c, SERVER, CLIENT);
      session = c.isEstablished() && s.isEstablished() ? c.session() : null;
      if (moved === 0) break;
    }
  } catch (cause) {
    throw fail(cause);
  }
  if (session === null) throw fail();
  // What the real listener will decide on this session's certificate, decided now.
  const refusal = policy?.check(s.peerCertChain());
  if (refusal) {
    throw new Error(
      `Cannot mint a session for ${options.serverName}: the server would refuse the client identity: ${refusal.reason}`,
    );
  }
  return session;
}
