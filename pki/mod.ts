/**
 * The pki room: the local trust domain. The dev CA (created once, kept 0600
 * under the user's cache directory), the leaf certificates it signs, and the
 * dev gateway's session ticket key kept beside it, and the roles leaves play
 * (invoker, worker, server: mutual TLS between the gateway and its workers).
 * Only the gateway process reads these files; workers receive their own leaf
 * over a pipe.
 *
 * @module
 */
export { canIssue, createCa, issueLeaf, loadCa, spkiSha256 } from "./certs.ts";
export type { CertificateAuthority, CertifiedKey, LeafOptions, TrustAnchor } from "./certs.ts";
export { cacheDir, devCa, devCaCertificate } from "./dev_ca.ts";
export { INVOKER_NAME, invokerIdentity } from "./invoker_identity.ts";
export { type CertificateRole, ROLE_EKU, roleUsages, TLS_EKU } from "./roles.ts";
export { devTicketKey, TICKET_KEY_FILE } from "./ticket_key.ts";
