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
  decodeSpecialization,
  decodeWorkerSecrets,
  encodeSpecialization,
  encodeWorkerEnv,
  encodeWorkerSecrets,
  formatReady,
  formatStem,
  parseReady,
  parseStem,
  readWorkerSecrets,
  type ReadyLine,
  StdinLines,
  type StemLine,
  WORKER_ENV,
  WORKER_HEADERS,
  WORKER_SUBCOMMAND,
  type WorkerSecrets,
  type WorkerSettings,
} from "./contract.ts";
export { forwardLines, readReady } from "./ready.ts";
export { guard, startWatchdog, type Watchdog } from "./watchdog.ts";
export { BodyTooLarge, boundBody, type BoundedBody, countedBody, tooLarge } from "./body_limit.ts";
export { type HttpsOptions, type HttpsServer, serveHttps } from "./https_server.ts";
export { startUpstream, type Upstream, type UpstreamOptions } from "./upstream.ts";
export { SandboxError, type SandboxSupport, sandboxSupport, unsandboxedNotice } from "./sandbox.ts";
