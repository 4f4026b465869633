/**
 * The contract between the invoker and a worker, both sides of the process
 * boundary: the subcommand that starts a worker, the environment variables
 * that configure it, the secrets it reads once from its stdin, the ready line
 * it prints, and the response headers it and the invoker add. Round-trip
 * tests hold the writers and readers together.
 *
 * Secrets never travel in the environment or argv: a function reads its own
 * environment, and another process of the same user can read
 * `/proc/<pid>/environ`. The invoker writes them as one JSON line on the
 * worker's stdin; the watchdog reads them before any function code loads,
 * and nothing keeps the text.
 *
 * A worker is started as a stem cell (`QFAAS_STEM=1`): everything loaded, its
 * identity read, but no function yet. It says so with its stem line, then
 * reads a second line, its specialization: the function's settings, as the
 * environment variables a worker started for one function would have had.
 * The invoker then closes stdin. A worker spawned for a function gets both
 * lines at once.
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
  /** h3, tls, tls12 or tcp (config's `TRANSPORTS`). */
  transport: "QFAAS_TRANSPORT",
  /** Address to bind. */
  hostname: "QFAAS_HOSTNAME",
  /** Port to bind; 0 (default) picks one, reported in the ready line. */
  port: "QFAAS_PORT",
  /** PEM CA the worker's and the gateway's certificates chain to (public). */
  ca: "QFAAS_CA",
  /** Largest request body, bytes. */
  maxBody: "QFAAS_MAX_BODY",
  /** How long 0-RTT nonces are remembered. */
  replayWindow: "QFAAS_REPLAY_WINDOW",
  /** The pid of the process that spawned the worker: the worker stops when it is gone. */
  parent: "QFAAS_PARENT_PID",
  /** "1": the function keeps FFI (`allow_ffi`, for native addons); containment is lifted. */
  allowFfi: "QFAAS_ALLOW_FFI",
  /** JSON array of the paths the function may write (`allow_write`). */
  writable: "QFAAS_WRITABLE",
  /**
   * "1": the invoker probed that bubblewrap works here, so an upstream is
   * sandboxed without probing again; unset, the worker probes (sandbox.ts).
   */
  sandbox: "QFAAS_SANDBOX",
  /**
   * JSON array of this worker's own addresses (`host:port`) when it is one of
   * several replicas sharing a ticket key: 0-RTT requests must carry a nonce
   * bound to one of them (h3/replay_guard.ts).
   */
  replica: "QFAAS_REPLICA",
  /** "1": a stem cell, whose function's settings come on stdin after its secrets. */
  stem: "QFAAS_STEM",
  /** "0": a stem cell does not warm the HTTP/3 path (a worker started for a tls or tcp function). */
  warmH3: "QFAAS_WARM_H3",
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
  /** Port to bind; default 0 (one is picked and reported in the ready line). */
  port?: number;
  /** A Deno module to serve … */
  functionPath?: string;
  /** … or an http-mode upstream. */
  upstream?: { fprocess: string; upstreamUrl: string };
  /** PEM CA. */
  ca?: string;
  /** exec_timeout, ms. */
  execTimeoutMs?: number;
  /** max_inflight. */
  maxInflight?: number;
  /** Largest request body, bytes. */
  maxBodyBytes?: number;
  /** The function keeps FFI after start (`allow_ffi`). */
  allowFfi?: boolean;
  /** Paths the function may write. */
  writable?: readonly string[];
  /** The invoker found the upstream sandbox working: the worker need not probe it. */
  sandboxProbed?: boolean;
  /** Its own addresses, when replicas share its ticket key (QFAAS_REPLICA). */
  replica?: readonly string[];
}

/** The environment that configures a worker as `settings` say. */
export function encodeWorkerEnv(settings: WorkerSettings): Record<string, string> {
  const env: Record<string, string> = {
    [WORKER_ENV.worker]: settings.name,
    [WORKER_ENV.transport]: settings.transport,
    [WORKER_ENV.hostname]: settings.hostname,
    [WORKER_ENV.parent]: String(Deno.pid),
  };
  if (settings.port) env[WORKER_ENV.port] = String(settings.port);
  if (settings.functionPath) env[WORKER_ENV.function] = settings.functionPath;
  if (settings.upstream) {
    env[WORKER_ENV.fprocess] = settings.upstream.fprocess;
    env[WORKER_ENV.upstreamUrl] = settings.upstream.upstreamUrl;
  }
  if (settings.ca) env[WORKER_ENV.ca] = settings.ca;
  if (settings.execTimeoutMs !== undefined) {
    env[WORKER_ENV.execTimeout] = `${settings.execTimeoutMs}ms`;
  }
  if (settings.maxInflight) env[WORKER_ENV.maxInflight] = String(settings.maxInflight);
  if (settings.maxBodyBytes) env[WORKER_ENV.maxBody] = String(settings.maxBodyBytes);
  if (settings.allowFfi) env[WORKER_ENV.allowFfi] = "1";
  if (settings.writable?.length) env[WORKER_ENV.writable] = JSON.stringify(settings.writable);
  if (settings.sandboxProbed) env[WORKER_ENV.sandbox] = "1";
  if (settings.replica?.length) env[WORKER_ENV.replica] = JSON.stringify(settings.replica);
  return env;
}

/** The response headers a worker and the invoker add, and the one the warm-up request carries. */
export const WORKER_HEADERS = {
  /** The worker that answered (its name). */
  worker: "x-qfaas-worker",
  /** h3, tls, tls12 or tcp. */
  transport: "x-qfaas-transport",
  /** Whether the invoker's request went in 0-RTT: "accepted", "rejected" or "none". */
  zeroRtt: "x-qfaas-0rtt",
  /** "1" on the response to the request that started the worker. */
  coldStart: "x-qfaas-cold-start",
  /** The request's id, for logs. */
  requestId: "x-qfaas-request-id",
  /** Marks the watchdog's own warm-up request, which its function never sees. */
  warmUp: "x-qfaas-warm-up",
  /** "1" on a request the function receives that arrived in 0-RTT (RFC 8470 §5.1). */
  earlyData: "early-data",
} as const;

/** What only the worker may know: its TLS identity and its link to the gateway. */
export interface WorkerSecrets {
  /** The worker's leaf (PEM certificate and key) and its 48-byte ticket key (h3 and tls). */
  tls?: { cert: string; key: string; ticketKey: Uint8Array };
  /**
   * The gateway's internal HTTP/3 origin and a session minted for it with the
   * worker's certificate: the worker's first call is 0-RTT (none: its first
   * call makes a full handshake). Here rather than in the environment, which
   * a function may change (`QFAAS_GATEWAY_URL` is only where its plain
   * `fetch` calls go).
   */
  gateway?: { url: string; session: Uint8Array | null };
}

/** quic's TICKET_KEY_LENGTH, restated so that the contract loads no native binding. */
const TICKET_KEY_BYTES = 48;

/** The line the invoker writes on a new worker's stdin (then it closes stdin). */
export function encodeWorkerSecrets(secrets: WorkerSecrets): string {
  return JSON.stringify({
    ...(secrets.tls
      ? {
        cert: secrets.tls.cert,
        key: secrets.tls.key,
        ticketKey: secrets.tls.ticketKey.toBase64(),
      }
      : {}),
    ...(secrets.gateway ? { gatewayUrl: secrets.gateway.url } : {}),
    ...(secrets.gateway?.session ? { gatewaySession: secrets.gateway.session.toBase64() } : {}),
  }) + "\n";
}

function field(parsed: Record<string, unknown>, name: string): string | undefined {
  const value = parsed[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`Cannot read the worker's secrets: "${name}" must be a non-empty string`);
  }
  return value;
}

function base64(name: string, text: string): Uint8Array {
  try {
    return Uint8Array.fromBase64(text);
  } catch {
    throw new TypeError(`Cannot read the worker's secrets: "${name}" is not base64`);
  }
}

/**
 * Parses what the invoker wrote (`encodeWorkerSecrets`); empty text is no
 * secrets (a tcp worker). Throws TypeError naming the field at fault, never
 * quoting a value.
 */
export function decodeWorkerSecrets(text: string): WorkerSecrets {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError("Cannot read the worker's secrets: stdin is not one JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TypeError("Cannot read the worker's secrets: stdin is not one JSON object");
  }
  const record = parsed as Record<string, unknown>;
  const secrets: WorkerSecrets = {};
  const [cert, key, ticketKey] = ["cert", "key", "ticketKey"].map((name) => field(record, name));
  if (cert || key || ticketKey) {
    if (!cert || !key || !ticketKey) {
      throw new TypeError("Cannot read the worker's secrets: cert, key and ticketKey go together");
    }
    const bytes = base64("ticketKey", ticketKey);
    if (bytes.byteLength !== TICKET_KEY_BYTES) {
      throw new TypeError(
        `Cannot read the worker's secrets: ticketKey must be ${TICKET_KEY_BYTES} bytes, got ${bytes.byteLength}`,
      );
    }
    secrets.tls = { cert, key, ticketKey: bytes };
  }
  const [url, session] = ["gatewayUrl", "gatewaySession"].map((name) => field(record, name));
  if (session && !url) {
    throw new TypeError("Cannot read the worker's secrets: gatewaySession needs a gatewayUrl");
  }
  if (url) secrets.gateway = { url, session: session ? base64("gatewaySession", session) : null };
  return secrets;
}

/** The specialization line: the function's settings for a stem cell, as environment variables. */
export function encodeSpecialization(env: Record<string, string>): string {
  return JSON.stringify({ env }) + "\n";
}

/** Parses a specialization line; throws TypeError saying what is wrong with it. */
export function decodeSpecialization(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const env = (parsed as { env?: unknown } | null)?.env;
  if (
    typeof env !== "object" || env === null || Array.isArray(env) ||
    !Object.values(env).every((value) => typeof value === "string")
  ) {
    throw new TypeError(
      'Cannot specialize the worker: stdin\'s second line is not {"env": {name: string}}',
    );
  }
  return env as Record<string, string>;
}

/**
 * The lines on a worker's stdin, one at a time; `rest()` reads to the end and
 * fails if anything more came, so that nothing is left there for function code.
 */
export class StdinLines {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";

  /** Reads `stdin` (the worker's). */
  constructor(stdin: ReadableStream<Uint8Array>) {
    this.#reader = stdin.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line, without its newline; null at the end. */
  async next(): Promise<string | null> {
    for (;;) {
      const end = this.#buffer.indexOf("\n");
      if (end >= 0) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        const last = this.#buffer;
        this.#buffer = "";
        return last === "" ? null : last;
      }
      this.#buffer += value;
    }
  }

  /** Waits for the end of stdin; throws TypeError if another line came. */
  async end(): Promise<void> {
    const extra = await this.next();
    if (extra !== null && extra.trim() !== "") {
      throw new TypeError("Cannot start the worker: stdin has more than the contract's lines");
    }
    this.#reader.releaseLock();
  }
}

/** Reads the secrets line from `lines` (a tcp worker may have an empty one). */
export async function readWorkerSecrets(lines: StdinLines): Promise<WorkerSecrets> {
  return decodeWorkerSecrets(await lines.next() ?? "");
}

/** What a stem cell prints once it is loaded and waits for its function. */
export interface StemLine {
  /** Always true. */
  stem: true;
  /** The worker's name (its certificate's). */
  worker: string;
}

/** Formats the stem line of `worker`. */
export function formatStem(worker: string): string {
  return JSON.stringify({ stem: true, worker } satisfies StemLine);
}

/** `line` parsed as a stem line, or null. */
export function parseStem(line: string): StemLine | null {
  if (!line.startsWith('{"stem":true')) return null;
  try {
    const parsed = JSON.parse(line);
    return parsed.stem === true && typeof parsed.worker === "string" ? parsed as StemLine : null;
  } catch {
    return null;
  }
}

/** What the ready line says. */
export interface ReadyLine {
  /** Always true: the watchdog accepts requests. */
  ready: true;
  /** The loopback port the watchdog bound. */
  port: number;
  /** The worker's name (its certificate's DNS name). */
  worker: string;
}

/**
 * The ready line: the one JSON line a worker prints on stdout once it serves,
 * which is how whoever spawned it learns the port it bound.
 */
export function formatReady(port: number, worker: string): string {
  return JSON.stringify({ ready: true, port, worker } satisfies ReadyLine);
}

/** `line` parsed as a ready line, or null if it is anything else. */
export function parseReady(line: string): ReadyLine | null {
  if (!line.startsWith('{"ready":true')) return null;
  try {
    const parsed = JSON.parse(line);
    return parsed.ready === true && Number.isInteger(parsed.port) &&
        typeof parsed.worker === "string"
      ? parsed as ReadyLine
      : null;
  } catch {
    return null;
  }
}
