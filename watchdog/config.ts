/**
 * The watchdog's configuration: a pure function of the environment (never
 * argv, which other users can read in /proc), so that a worker is a
 * self-contained process an orchestrator configures the same way.
 *
 * @module
 */

import { DEFAULTS, requireDuration, type Transport } from "../config/settings.ts";
import { WORKER_ENV as N } from "./worker_env.ts";

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

/** Reads the configuration from `env`; throws TypeError naming the variable at fault. */
export function watchdogConfig(env: Env): WatchdogConfig {
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
  if (!["h3", "tls", "tcp"].includes(transport)) {
    throw new TypeError(
      `Cannot configure the watchdog: QFAAS_TRANSPORT must be h3, tls or tcp, received "${transport}"`,
    );
  }
  let tls: WatchdogConfig["tls"] = null;
  if (transport !== "tcp") {
    const cert = env[N.cert];
    const key = env[N.key];
    const ticketKey = env[N.ticketKey];
    if (!cert || !key || !ticketKey) {
      throw new TypeError(
        `Cannot configure the watchdog: transport ${transport} needs QFAAS_TLS_CERT, QFAAS_TLS_KEY and QFAAS_TICKET_KEY`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.fromBase64(ticketKey);
    } catch {
      throw new TypeError("Cannot configure the watchdog: QFAAS_TICKET_KEY is not base64");
    }
    if (bytes.byteLength !== 48) {
      throw new TypeError(
        `Cannot configure the watchdog: QFAAS_TICKET_KEY must be 48 bytes of base64, got ${bytes.byteLength}`,
      );
    }
    tls = { cert, key, ticketKey: bytes };
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
  };
}
