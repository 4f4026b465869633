/**
 * The watchdog room: the worker process that serves one function over h3,
 * tls or tcp, with timeouts, concurrency limits, anti-replay for 0-RTT and
 * drain on shutdown.
 *
 * @module
 */
export { type Env, type Transport, type WatchdogConfig, watchdogConfig } from "./config.ts";
export { type FunctionHandler, loadFunction } from "./function_loader.ts";
export {
  encodeWorkerEnv,
  WORKER_ENV,
  WORKER_SUBCOMMAND,
  type WorkerSettings,
} from "./worker_env.ts";
export { formatReady, forwardLines, readReady, type ReadyLine } from "./ready.ts";
export { guard, startWatchdog, type Watchdog } from "./watchdog.ts";
export { BodyTooLarge, boundBody, type BoundedBody, countedBody, tooLarge } from "./body_limit.ts";
export { type HttpsOptions, type HttpsServer, serveHttps } from "./https_server.ts";
export { startUpstream, type Upstream, type UpstreamOptions } from "./upstream.ts";
