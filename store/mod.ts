/**
 * The store room: the Generator that pre-seeds each worker's first
 * connection for 0-RTT (a leaf from the pki room, a ticket key of its own, a
 * minted session), and the 0-RTT store of the newest session per worker.
 *
 * @module
 */
export {
  type IdentityOptions,
  issueWorkerIdentity,
  type WorkerIdentity,
} from "./worker_identity.ts";
export { FileStore, MemoryStore, type ZeroRttStore } from "./zero_rtt_store.ts";
export { testStoreConformance } from "./store_conformance.ts";
