/**
 * The watchdog's configuration: a pure function of the environment (never
 * argv, which other users can read in /proc), so that a worker is a
 * self-contained process an orchestrator configures the same way.
 *
 * @module
 */

import { DEFAULTS, requireDuration, type Transport } from "../config/mod.ts";

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
  const functionPath = env.QFAAS_FUNCTION || null;
  const fprocess = env.fprocess || null;
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
  const mode = env.mode ?? "http";
  if (fprocess && mode !== "http") {
    throw new TypeError(
      `Cannot configure the watchdog: only of-watchdog mode=http is supported, received "${mode}"`,
    );
  }
  if (fprocess && !env.upstream_url) {
    throw new TypeError(
      "Cannot configure the watchdog: fprocess needs upstream_url (e.g. http://127.0.0.1:5000)",
    );
  }
  const upstream = fprocess ? { fprocess, upstreamUrl: env.upstream_url! } : null;
  const transport = (env.QFAAS_TRANSPORT ?? "h3") as Transport;
  if (!["h3", "tls", "tcp"].includes(transport)) {
    throw new TypeError(
      `Cannot configure the watchdog: QFAAS_TRANSPORT must be h3, tls or tcp, received "${transport}"`,
    );
  }
  let tls: WatchdogConfig["tls"] = null;
  if (transport !== "tcp") {
    const cert = env.QFAAS_TLS_CERT;
    const key = env.QFAAS_TLS_KEY;
    const ticketKey = env.QFAAS_TICKET_KEY;
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
    name: env.QFAAS_WORKER ?? "worker",
    functionPath,
    upstream,
    transport,
    hostname: env.QFAAS_HOSTNAME ?? "127.0.0.1",
    port: integer(env, "QFAAS_PORT", 0),
    execTimeoutMs: env.exec_timeout
      ? requireDuration(env.exec_timeout, "exec_timeout", { bare: "s" })
      : DEFAULTS.execTimeoutMs,
    maxInflight: integer(env, "max_inflight", 0) || Infinity,
    maxBodyBytes: integer(env, "QFAAS_MAX_BODY", DEFAULTS.maxBodyBytes, 1),
    replayWindowMs: requireDuration(env.QFAAS_REPLAY_WINDOW ?? "2h", "QFAAS_REPLAY_WINDOW", {
      bare: "s",
    }),
    tls,
    ca: env.QFAAS_CA ?? null,
  };
}
