/**
 * A function as configuration defines it: what runs, how it is reached, its
 * environment and its limits. Discovery produces it; the invoker runs it.
 *
 * @module
 */

/**
 * How the gateway reaches a worker: HTTP/3 (default), HTTPS (TLS 1.2 or 1.3,
 * as the two ends agree), HTTPS held to TLS 1.2, or HTTP/1.1 over TCP.
 * `tls12` and `tcp` are baselines (the QFaaS paper's OpenFaaS with TLS 1.2,
 * and without encryption), not ways to run functions in production.
 */
export const TRANSPORTS = ["h3", "tls", "tls12", "tcp"] as const;

/** One of `TRANSPORTS`. */
export type Transport = typeof TRANSPORTS[number];

/** The highest TLS version a worker of `transport` speaks over TCP (null: none, or not over TCP). */
export function tcpTlsVersion(transport: Transport): "TLSv1.2" | "TLSv1.3" | null {
  return transport === "tls" ? "TLSv1.3" : transport === "tls12" ? "TLSv1.2" : null;
}

/** Which requests may ride 0-RTT to workers. */
export type EarlyDataSetting = "all" | "idempotent" | "off";

/** What a function is written in: a Deno module, or an OpenFaaS http-mode upstream. */
export type Runtime = "deno" | "python" | "node" | "upstream";

/** A function's definition. Unset fields take `DEFAULTS`. */
export interface FunctionDefinition {
  /** The function's name (`FUNCTION_NAME`); workers are named after it. */
  name: string;
  /** A Deno module (default export: handler or { fetch }) … */
  module?: string;
  /** … or an OpenFaaS http-mode upstream. */
  upstream?: { fprocess: string; upstreamUrl: string; cwd?: string };
  /** The function's own directory. */
  dir?: string;
  /**
   * The functions directory it was found in: its code may import anything
   * there (shared code such as `_shared/`), and read it.
   */
  root?: string;
  /** Transport between invoker and worker. Default h3. */
  transport?: Transport;
  /** Extra environment for the function (declared env, secrets). */
  env?: Record<string, string>;
  /** exec_timeout of the watchdog, ms. */
  execTimeoutMs?: number;
  /** max_inflight of the watchdog. Default unlimited. */
  maxInflight?: number;
  /** V8 old-space limit for the worker, MiB. */
  memoryMiB?: number;
  /** Largest request body, bytes; larger gets 413 at the gateway and the worker. */
  maxBodyBytes?: number;
  /** Paths the function may write (files or directories); it may read them too. Default none. */
  writable?: string[];
  /**
   * The function keeps FFI (`allow_ffi`: native addons such as sharp). This
   * lifts containment for it: native code can read anything its user can.
   */
  allowFfi?: boolean;
  /**
   * Always start a process for this function's workers, never take a stem
   * cell (the invoker's `stemCells`), and keep none for it. For measuring a
   * new process's cold start beside stem cells (the paper bench); default false.
   */
  freshProcess?: boolean;
  /** Workers kept warm even when idle. */
  min?: number;
  /** Most workers at once. */
  max?: number;
  /** A worker idle this long (beyond `min`) is stopped, ms. */
  idleMs?: number;
  /** Keep connections to workers ("keep-alive", default) or open one per request ("new"). */
  connection?: "keep-alive" | "new";
  /** Which requests may ride 0-RTT to workers. Default "all" (workers check nonces). */
  earlyData?: EarlyDataSetting;
  /**
   * The Deno configuration `prepareFunction` (invoker/) wrote for it: workers then
   * resolve through the function's own import map and start from the cache
   * (`--cached-only`). Without it, workers use qfaas's own configuration
   * (functions kept inside its repository).
   */
  prepared?: string;
  /**
   * Why the function cannot run until its files change (its module graph
   * could not be prepared): requests get 503 with this, and no worker starts.
   */
  unavailable?: string;
  /** What the function is written in, for listings ("python"); default "deno" or "upstream". */
  runtime?: string;
}
