/**
 * The store room: the local trust domain (dev CA, per-worker certificates)
 * and, later, ticket keys and minted sessions for pre-seeded 0-RTT.
 *
 * @module
 */
export { createCa, issueLeaf, spkiSha256 } from "./certs.ts";
export type { CertificateAuthority, CertifiedKey, LeafOptions } from "./certs.ts";
