/**
 * The invoker room: per-function pools of worker processes, spawned on
 * demand, reached over HTTP/3 with pre-seeded 0-RTT (or tls, or tcp).
 *
 * @module
 */
export { FunctionNotFound, FunctionUnavailable, WorkerStartError } from "./errors.ts";
export { type Invocation, invocationOf } from "./invocation.ts";
export { type Prepared, PrepareError, prepareFunction } from "./prepare.ts";
export {
  Invoker,
  type InvokerFunction,
  type InvokerOptions,
  type StartFailureListener,
} from "./invoker.ts";
export {
  FunctionPool,
  type Lease,
  type PoolOptions,
  type Slot,
  START_BACKOFF_MAX_MS,
  START_BACKOFF_MS,
  type StartFailure,
  type WorkerPool,
} from "./pool.ts";
export {
  detachedWorker,
  type ReplicaAddress,
  type ReplicaEvents,
  ReplicaPool,
  type ReplicaSource,
} from "./replica_pool.ts";
export { StemPool, type StemPoolOptions } from "./stem_pool.ts";
export {
  type FunctionSpec,
  type GatewayLinkSource,
  type ReplicaListen,
  type SpawnOptions,
  spawnStem,
  spawnWorker,
  type StemClass,
  stemClassOf,
  type StemOptions,
  type StemProcess,
  workerCommand,
  type WorkerLogLine,
  type WorkerPlacement,
  type WorkerProcess,
} from "./worker_process.ts";
