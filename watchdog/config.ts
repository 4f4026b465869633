/**
 * The watchdog's configuration: a pure function of the environment and the
 * secrets read from stdin (never argv, which other users can read in /proc),
 * so that a worker is a self-contained process an orchestrator configures
 * the same way.
 *
 * @module
 */

import { DEFAULTS, requireDuration, type Transport, TRANSPORTS } from "../config/settings.ts";
import { WORKER_ENV as N, type WorkerSecrets } from "./contract.ts";

export type { Transport };

/** Everything a watchdog needs, resolved. */
export interface WatchdogConfig {
  /** The worker's name (its certificate names it). */
  name: string;
  /** Path of the Deno module whose default export handles requests (unless `upstream`). */
  functionPath: string | null;
  /** An OpenFaaS of-watchdog "http" mode upstream: its command and URL (unless `functionPath`). */
  upstream: { fprocess: string; upstreamUrl: string } | null;
  /** The transport it serves: h3 (default), tls or tcp. */
  transport: Transport;
  /** Address to bind (default 127.0.0.1). */
  hostname: string;
  /** 0 picks a free port; the watchdog reports the one it got. */
  port: number;
  /** A request running longer gets 504. */
  execTimeoutMs: number;
  /** Requests in flight beyond this get 429. */
  maxInflight: number;
  /** Largest request body, bytes (QFAAS_MAX_BODY); larger gets 413. Default 16 MiB. */
  maxBodyBytes: number;
  /** How long early-data nonces are remembered: the ticket lifetime. */
  replayWindowMs: number;
  /** TLS material for h3 and tls: PEM certificate and key, and the 48-byte ticket key. */
  tls: { cert: string; key: string; ticketKey: Uint8Array } | null;
  /** PEM CA the worker's certificate chains to: the warm-up request verifies against it. */
  ca: string | null;
  /** The function keeps FFI (`allow_ffi`); otherwise it is revoked before the function loads. */
  allowFfi: boolean;
  /** Paths the function may write (`allow_write`). */
  writable: string[];
  /** An upstream's sandbox: true when the invoker probed it works, else "auto" (probe here). */
  sandbox: true | "auto";
  /** Its own addresses when replicas share its ticket key; empty: it shares it with none. */
  replica: string[];
}

/** The environment as the watchdog reads it. */
export type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(
      `Cannot configure the watchdog: ${name} must be an integer >= ${min}, received "${text}"`,
    );
  }
  return value;
}

/** A JSON array of paths in `env[name]`; none when unset. */
function paths(env: Env, name: string, what = "paths"): string[] {
  const text = env[name];
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || !parsed.every((path) => typeof path === "string")) {
    throw new TypeError(`Cannot configure the watchdog: ${name} must be a JSON array of ${what}`);
  }
  return parsed;
}

/**
 * Reads the configuration from `env` and the `secrets` read from stdin;
 * throws TypeError naming the variable at fault.
 */
export function watchdogConfig(env: Env, secrets: WorkerSecrets = {}): WatchdogConfig {
  const functionPath = env[N.function] || null;
  const fprocess = env[N.fprocess] || null;
  if (!functionPath && !fprocess) {
    throw new TypeError(
      "Cannot configure the watchdog: set QFAAS_FUNCTION (a Deno module) or fprocess (an upstream)",
    );
  }
  if (functionPath && fprocess) {
    throw new TypeError(
      "Cannot configure the watchdog: QFAAS_FUNCTION and fprocess are both set; choose one",
    );
  }
  const mode = env[N.mode] ?? "http";
  if (fprocess && mode !== "http") {
    throw new TypeError(
      `Cannot configure the watchdog: only of-watchdog mode=http is supported, received "${mode}"`,
    );
  }
  if (fprocess && !env[N.upstreamUrl]) {
    throw new TypeError(
      "Cannot configure the watchdog: fprocess needs upstream_url (e.g. http://127.0.0.1:5000)",
    );
  }
  const upstream = fprocess ? { fprocess, upstreamUrl: env[N.upstreamUrl]! } : null;
  const transport = (env[N.transport] ?? "h3") as Transport;
  if (!TRANSPORTS.includes(transport)) {
    throw new TypeError(
      `Cannot configure the watchdog: QFAAS_TRANSPORT must be ${
        TRANSPORTS.join(", ")
      }, received "${transport}"`,
    );
  }
  const tls = transport === "tcp" ? null : secrets.tls ?? null;
  if (transport !== "tcp" && !tls) {
    throw new TypeError(
      `Cannot configure the watchdog: transport ${transport} needs its TLS identity on stdin (see contract.ts)`,
    );
  }
  return {
    name: env[N.worker] ?? "worker",
    functionPath,
    upstream,
    transport,
    hostname: env[N.hostname] ?? "127.0.0.1",
    port: integer(env, N.port, 0),
    execTimeoutMs: requireDuration(
      env[N.execTimeout] || `${DEFAULTS.execTimeoutMs}ms`,
      N.execTimeout,
      {
        bare: "s",
      },
    ),
    maxInflight: integer(env, N.maxInflight, 0) || Infinity,
    maxBodyBytes: integer(env, N.maxBody, DEFAULTS.maxBodyBytes, 1),
    replayWindowMs: requireDuration(env[N.replayWindow] ?? "2h", N.replayWindow, {
      bare: "s",
    }),
    tls,
    ca: env[N.ca] ?? null,
    allowFfi: env[N.allowFfi] === "1",
    writable: paths(env, N.writable),
    sandbox: env[N.sandbox] === "1" ? true : "auto",
    replica: paths(env, N.replica, "host:port addresses"),
  };
}
