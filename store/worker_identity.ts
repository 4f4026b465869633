/**
 * The Generator (QFaaS paper §4): before a worker starts, give it a leaf
 * certificate naming it and a ticket key of its own, and mint in memory the
 * client session the gateway will offer it — so that even the worker's first
 * connection is 0-RTT. A ticket key per worker means a session (or a replayed
 * 0-RTT flight) for one worker cannot be decrypted by another.
 *
 * Workers accept only the invoker (mutual TLS), so the
 * session is minted with the invoker's certificate (`invokerIdentity`): a
 * resumed connection sends none, and the worker admits it on the one its
 * session carries. The worker's own leaf has the worker role, which lets it
 * call the gateway's internal listener and not another worker.
 *
 * @module
 */
import {
  mintSession,
  type QuicClientAuth,
  type QuicLimits,
  TICKET_KEY_LENGTH,
} from "../quic/mod.ts";
import { type CertificateAuthority, invokerIdentity, issueLeaf, ROLE_EKU } from "../pki/mod.ts";

/** Everything a worker needs for TLS and 0-RTT, and the session its clients offer it. */
export interface WorkerIdentity {
  /** The worker's name; its certificate names it, clients verify it. */
  name: string;
  /** PEM leaf certificate, signed by the dev CA. */
  cert: string;
  /** PEM private key of the leaf. Goes to the worker only (environment or pipe, never argv). */
  key: string;
  /** The worker's session ticket key (48 bytes). */
  ticketKey: Uint8Array;
  /** A client session minted for this worker: offered on the first connection, for 0-RTT. */
  session: Uint8Array;
}

/** Options of `issueWorkerIdentity`. */
export interface IdentityOptions {
  /** ALPN the worker serves; the session is only good for it (RFC 9001 §4.6.1). Default ["h3"]. */
  alpn?: readonly string[];
  /** The worker's QUIC limits, which 0-RTT remembers (RFC 9000 §7.4.1). */
  limits?: QuicLimits;
  /** Addresses besides loopback the certificate names (a worker on another host). */
  ipAddresses?: readonly string[];
}

/**
 * Who a worker's listeners admit (watchdog.ts states the same rule): a
 * certificate from the dev CA (`caCert`, PEM) with the invoker role, none
 * other — neither another worker's nor one from another CA.
 */
function workerClientAuth(caCert: string): QuicClientAuth {
  return { ca: caCert, extKeyUsage: ROLE_EKU.invoker };
}

/** Issues a worker's certificate and ticket key and mints the session for its first connection. */
export async function issueWorkerIdentity(
  ca: CertificateAuthority,
  name: string,
  options: IdentityOptions = {},
): Promise<WorkerIdentity> {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name)) {
    throw new TypeError(`Cannot name a worker "${name}": use a lowercase DNS name`);
  }
  const [leaf, invoker] = await Promise.all([
    issueLeaf(ca, {
      commonName: name,
      dnsNames: [name, "localhost"],
      ipAddresses: ["127.0.0.1", "::1", ...(options.ipAddresses ?? [])],
      role: "worker",
    }),
    invokerIdentity(ca),
  ]);
  const ticketKey = crypto.getRandomValues(new Uint8Array(TICKET_KEY_LENGTH));
  const session = mintSession({
    server: { ...leaf, ticketKey, clientAuth: workerClientAuth(ca.cert) },
    ca: ca.cert,
    serverName: name,
    alpn: options.alpn ?? ["h3"],
    limits: options.limits,
    identity: invoker,
  });
  return { name, ...leaf, ticketKey, session };
}
