/**
 * The invoker room: per-function pools of worker processes, spawned on
 * demand, reached over HTTP/3 with pre-seeded 0-RTT (or tls, or tcp).
 *
 * @module
 */
export { FunctionNotFound, Invoker, type InvokerFunction, type InvokerOptions } from "./invoker.ts";
export { FunctionPool, type Lease, type PoolOptions, type Slot } from "./pool.ts";
export {
  type FunctionSpec,
  type SpawnOptions,
  spawnWorker,
  type WorkerLogLine,
  type WorkerPlacement,
  type WorkerProcess,
} from "./worker_process.ts";
