/**
 * The roles a certificate of the local trust domain plays, named by extended
 * key usages (RFC 5280 §4.2.1.12), so that TLS stacks check them where they
 * check certificates. Every leaf chains to the same dev CA; the role is what
 * tells the gateway's invoker from a worker:
 *
 * - **invoker** (the gateway's client identity): clientAuth + `ROLE_EKU.invoker`.
 *   Workers accept only it. It has no serverAuth, so it cannot pose as a server.
 * - **worker**: serverAuth (it serves the invoker) + clientAuth +
 *   `ROLE_EKU.worker` (it calls the gateway's internal listener, which
 *   accepts only it). Without the invoker usage, a worker's certificate does
 *   not open another worker.
 * - **server** (the gateway's public listeners): serverAuth only.
 *
 * The OIDs sit under a UUID arc (2.25, ITU-T X.667), which needs no
 * registration. This module imports nothing: a worker reads it without
 * loading an X.509 library.
 *
 * @module
 */

/** The arc of QFaaS's own OIDs: 2.25 + UUID 97b756a6-511f-4bce-ad93-263bbacad2ea. */
const QFAAS_ARC = "2.25.201665375152841182161992328029284258538";

/** Extended key usages that name a QFaaS role. */
export const ROLE_EKU = {
  /** The gateway's invoker, calling workers. */
  invoker: `${QFAAS_ARC}.1`,
  /** A worker, calling the gateway's internal listener. */
  worker: `${QFAAS_ARC}.2`,
} as const;

/** id-kp-serverAuth and id-kp-clientAuth (RFC 5280 §4.2.1.12). */
export const TLS_EKU = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** What a leaf certificate is for: see the module documentation. */
export type CertificateRole = "server" | "worker" | "invoker";

/** The extended key usages a leaf of `role` carries. */
export function roleUsages(role: CertificateRole): string[] {
  switch (role) {
    case "server":
      return [TLS_EKU.serverAuth];
    case "worker":
      return [TLS_EKU.serverAuth, TLS_EKU.clientAuth, ROLE_EKU.worker];
    case "invoker":
      return [TLS_EKU.clientAuth, ROLE_EKU.invoker];
  }
}
