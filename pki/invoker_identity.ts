/**
 * The gateway's client identity: the certificate its invoker presents to
 * workers, which accept no other (role "invoker", see roles.ts). One per CA
 * and process, made on first use and kept in memory only; the Generator mints
 * workers' sessions with the same one, so a session resumed in 0-RTT carries
 * the certificate a full handshake would have sent.
 *
 * @module
 */
import { type CertificateAuthority, type CertifiedKey, issueLeaf } from "./certs.ts";

/** The common name of the invoker's certificate. */
export const INVOKER_NAME = "qfaas-invoker";

const identities = new WeakMap<CertificateAuthority, Promise<CertifiedKey>>();

/** The invoker's certificate and key under `ca`, issued on first use. */
export function invokerIdentity(ca: CertificateAuthority): Promise<CertifiedKey> {
  let identity = identities.get(ca);
  if (!identity) {
    identity = issueLeaf(ca, { commonName: INVOKER_NAME, role: "invoker" });
    identities.set(ca, identity);
    identity.catch(() => identities.delete(ca));
  }
  return identity;
}
