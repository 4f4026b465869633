/**
 * The store room: the local trust domain (dev CA, the dev gateway's ticket
 * key, per-worker certificates), the Generator that pre-seeds each worker's
 * first connection for 0-RTT, and the 0-RTT store of the newest session per
 * worker.
 *
 * @module
 */
export { createCa, issueLeaf, loadCa, spkiSha256 } from "./certs.ts";
export type { CertificateAuthority, CertifiedKey, LeafOptions } from "./certs.ts";
export { cacheDir, devCa } from "./dev_ca.ts";
export { devTicketKey, TICKET_KEY_FILE } from "./ticket_key.ts";
export {
  type IdentityOptions,
  issueWorkerIdentity,
  type WorkerIdentity,
} from "./worker_identity.ts";
export { FileStore, MemoryStore, type ZeroRttStore } from "./zero_rtt_store.ts";
export { testStoreConformance } from "./store_conformance.ts";
