/**
 * The spawn contract between the invoker and a worker: the subcommand that
 * starts a worker, and the environment variables that configure it. Both
 * sides import this module; `encodeWorkerEnv` writes what `watchdogConfig`
 * reads (a round-trip test holds them together).
 *
 * @module
 */
import type { Transport } from "../config/settings.ts";

/** The `qfaas` subcommand that runs a worker: the same program, re-executed. */
export const WORKER_SUBCOMMAND = "worker";

/** The environment variables a worker reads. OpenFaaS's own names where it has one. */
export const WORKER_ENV = {
  /** Path of the Deno module whose default export handles requests. */
  function: "QFAAS_FUNCTION",
  /** The worker's name (its certificate names it). */
  worker: "QFAAS_WORKER",
  /** h3, tls or tcp. */
  transport: "QFAAS_TRANSPORT",
  /** Address to bind. */
  hostname: "QFAAS_HOSTNAME",
  /** Port to bind; 0 (default) picks one, reported in the ready line. */
  port: "QFAAS_PORT",
  /** PEM certificate of the worker. */
  cert: "QFAAS_TLS_CERT",
  /** PEM private key of the worker. */
  key: "QFAAS_TLS_KEY",
  /** The 48-byte session ticket key, base64. */
  ticketKey: "QFAAS_TICKET_KEY",
  /** PEM CA the worker's and the gateway's certificates chain to. */
  ca: "QFAAS_CA",
  /** Largest request body, bytes. */
  maxBody: "QFAAS_MAX_BODY",
  /** How long 0-RTT nonces are remembered. */
  replayWindow: "QFAAS_REPLAY_WINDOW",
  /** The pid of the process that spawned the worker: the worker stops when it is gone. */
  parent: "QFAAS_PARENT_PID",
  /** of-watchdog: a request running longer gets 504 (a bare number is seconds). */
  execTimeout: "exec_timeout",
  /** of-watchdog: requests in flight beyond this get 429 (0: unlimited). */
  maxInflight: "max_inflight",
  /** of-watchdog: the command of an http-mode upstream. */
  fprocess: "fprocess",
  /** of-watchdog: where the upstream listens. */
  upstreamUrl: "upstream_url",
  /** of-watchdog: the mode; only "http" is supported. */
  mode: "mode",
} as const;

/** What the invoker tells a new worker. */
export interface WorkerSettings {
  /** The worker's name. */
  name: string;
  /** How it is reached. */
  transport: Transport;
  /** Address to bind. */
  hostname: string;
  /** A Deno module to serve … */
  functionPath?: string;
  /** … or an http-mode upstream. */
  upstream?: { fprocess: string; upstreamUrl: string };
  /** TLS material (h3 and tls). */
  tls?: { cert: string; key: string; ticketKey: Uint8Array };
  /** PEM CA. */
  ca?: string;
  /** exec_timeout, ms. */
  execTimeoutMs?: number;
  /** max_inflight. */
  maxInflight?: number;
  /** Largest request body, bytes. */
  maxBodyBytes?: number;
}

/** The environment that configures a worker as `settings` say. */
export function encodeWorkerEnv(settings: WorkerSettings): Record<string, string> {
  const env: Record<string, string> = {
    [WORKER_ENV.worker]: settings.name,
    [WORKER_ENV.transport]: settings.transport,
    [WORKER_ENV.hostname]: settings.hostname,
    [WORKER_ENV.parent]: String(Deno.pid),
  };
  if (settings.functionPath) env[WORKER_ENV.function] = settings.functionPath;
  if (settings.upstream) {
    env[WORKER_ENV.fprocess] = settings.upstream.fprocess;
    env[WORKER_ENV.upstreamUrl] = settings.upstream.upstreamUrl;
  }
  if (settings.tls) {
    env[WORKER_ENV.cert] = settings.tls.cert;
    env[WORKER_ENV.key] = settings.tls.key;
    env[WORKER_ENV.ticketKey] = settings.tls.ticketKey.toBase64();
  }
  if (settings.ca) env[WORKER_ENV.ca] = settings.ca;
  if (settings.execTimeoutMs !== undefined) {
    env[WORKER_ENV.execTimeout] = `${settings.execTimeoutMs}ms`;
  }
  if (settings.maxInflight) env[WORKER_ENV.maxInflight] = String(settings.maxInflight);
  if (settings.maxBodyBytes) env[WORKER_ENV.maxBody] = String(settings.maxBodyBytes);
  return env;
}
