/**
 * One worker: a watchdog subprocess with its own identity (certificate and
 * ticket key from the Generator, session in the 0-RTT store), started with
 * only the permissions it needs and a memory limit, configured through its
 * environment, with its secrets written on its stdin (never argv or the
 * environment: see watchdog/contract.ts).
 *
 * @module
 */
import { join } from "node:path";
import { WorkerStartError } from "./errors.ts";
import { DATAGRAM_IO_ENV } from "../quic/mod.ts";
import { canIssue, type CertifiedKey, type TrustAnchor } from "../pki/mod.ts";
import { issueWorkerIdentity, type WorkerIdentity, type ZeroRttStore } from "../store/mod.ts";
import { DEFAULTS, type FunctionDefinition } from "../config/mod.ts";
import {
  encodeSpecialization,
  encodeWorkerEnv,
  encodeWorkerSecrets,
  forwardLines,
  parseStem,
  readReady,
  sandboxSupport,
  type Transport,
  WORKER_ENV,
  WORKER_SUBCOMMAND,
} from "../watchdog/mod.ts";

/**
 * Whether upstreams can be sandboxed here, probed once in this process
 * (15-35 ms) rather than once per upstream worker. A probe that cannot run
 * says no, and the worker probes again and logs why.
 */
async function sandboxWorks(): Promise<boolean> {
  try {
    return (await sandboxSupport()).available;
  } catch {
    return false;
  }
}

/** What a function is and how its workers run. */
export interface FunctionSpec extends FunctionDefinition {
  /**
   * Put a minted session in the 0-RTT store at spawn, so the first request is
   * 0-RTT (default true); false leaves the first connection to a full handshake.
   */
  preseed?: boolean;
}

/** Where workers run: another host (a network namespace), reached at `address`. */
export interface WorkerPlacement {
  /** Command prefix that runs a process there, e.g. ["ip", "netns", "exec", "workers"]. */
  prefix: readonly string[];
  /** The address workers listen on and are reached at there. */
  address: string;
}

/** A running worker process. */
export interface WorkerProcess {
  /** Unique worker name (also the name its certificate carries). */
  readonly name: string;
  /** How it is reached: h3, tls, tls12 or tcp. */
  readonly transport: Transport;
  /** The address the watchdog listens on (127.0.0.1 unless placed elsewhere). */
  readonly address: string;
  /** The port the watchdog listens on. */
  readonly port: number;
  /** The process id (for metrics such as RSS). */
  readonly pid: number;
  /** Milliseconds from spawn to ready. */
  readonly spawnMs: number;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number>;
  /**
   * Calls `listener` with the exit code when the process ends; returns a
   * function that cancels it. Per request, this leaves nothing behind, where
   * racing `exited` would pile reactions on one long-lived promise.
   */
  onExit(listener: (code: number) => void): () => void;
  /** SIGTERM (drain), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once: for a worker that stopped answering. */
  kill(): void;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;
/**
 * Where the watchdog's `require` of the QUIC binding looks (Node's resolution
 * probes each node_modules on the way up, and Deno checks each probe): qfaas's
 * node_modules, and Deno's npm cache where a prepared function resolves it.
 * Public package code only.
 */
const BINDING_READS = [
  new URL("../quic/node_modules", import.meta.url).pathname,
  new URL("../node_modules", import.meta.url).pathname,
  ...denoNpmCache(),
];
const PROJECT = new URL("..", import.meta.url).pathname;
let counter = 0;

/**
 * The command that starts a worker: this same program (main.ts) with the worker
 * subcommand, on the same full Deno runtime, with `runFlags` (its config and its
 * own permission grant). Always a full runtime, never a compiled binary: a
 * compiled binary's grant is fixed at build time and cannot be narrowed per
 * worker (see the README, "One program, one runtime").
 */
export function workerCommand(runFlags: readonly string[]): string[] {
  return [Deno.execPath(), "run", ...runFlags, MAIN, WORKER_SUBCOMMAND];
}

/** Deno's npm cache, where Deno finds it (DENO_DIR, else the user's cache directory). */
function denoNpmCache(): string[] {
  const env = (name: string) => Deno.env.get(name);
  const cache = env("XDG_CACHE_HOME") ?? (env("HOME") ? join(env("HOME")!, ".cache") : undefined);
  const dir = env("DENO_DIR") ?? (cache ? join(cache, "deno") : undefined);
  return dir ? [join(dir, "npm")] : [];
}

/** What Deno (and an upstream's interpreter) need to run at all. */
const RUNTIME_ENV = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR", "LANG"];

/** The machine's settings for outbound HTTPS: trusted CAs and proxies. */
const OUTBOUND_ENV = [
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NODE_EXTRA_CA_CERTS",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
];

/** util-linux setsid, when present: it gives each worker its own process group. */
const SETSID = ["/usr/bin/setsid", "/bin/setsid"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

/** SIGKILL to the worker's whole process group (its upstream included), else to the worker. */
function killGroup(child: Deno.ChildProcess): void {
  try {
    if (SETSID) Deno.kill(-child.pid, "SIGKILL");
    else child.kill("SIGKILL");
  } catch { /* already gone */ }
}

/**
 * The worker's permissions, which are its function's: read the functions
 * directory it belongs to (its own code, shared code such as `_shared/`), but
 * not that directory's secrets nor any function's `.env` files; write only where its configuration says (`allow_write`); reach the
 * network (it listens, and calls other functions); read its environment,
 * which holds no key material, and system facts. qfaas's own code needs no grant: the worker
 * imports it statically, and Deno checks only the function's (computed)
 * import. FFI loads the QUIC binding and a subprocess starts an upstream:
 * the watchdog revokes both before the function's code loads (unless
 * `allow_ffi`). Never a prompt: a worker has no terminal.
 */
async function permissions(spec: FunctionSpec): Promise<string[]> {
  const reads: string[] = [...BINDING_READS];
  if (spec.root) reads.push(spec.root);
  else if (spec.module) reads.push(spec.module);
  if (spec.upstream?.cwd) reads.push(spec.upstream.cwd);
  const writes = spec.writable ?? [];
  reads.push(...writes);
  const denied = spec.root ? await privateFiles(spec.root) : [];
  return [
    "--no-prompt",
    ...(reads.length > 0 ? [`--allow-read=${reads.join(",")}`] : []),
    ...(denied.length > 0 ? [`--deny-read=${denied.join(",")}`] : []),
    ...(writes.length > 0 ? [`--allow-write=${writes.join(",")}`] : []),
    "--allow-net",
    "--allow-env",
    // System facts (cpus, hostname, interfaces, the trusted CAs): npm packages ask for
    // them. Not narrowed: Deno 2.9.6 checks sys "ca" for node:tls rootCertificates but
    // cannot grant it alone (`--allow-sys=ca` is an unknown descriptor).
    "--allow-sys",
    "--allow-ffi",
    ...(spec.upstream ? ["--allow-run"] : []),
  ];
}

/**
 * What a function may not read in its functions directory: `.secrets/`, the
 * directory's dotenv files, and every function's, its own included (their
 * values reach it as environment variables). The same for every function of
 * the directory, so that their workers share a class (stem cells).
 */
async function privateFiles(root: string): Promise<string[]> {
  const denied = [join(root, ".secrets")];
  const dotenv = async (dir: string) => {
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isFile && /^\.env(\..*)?$/.test(entry.name)) denied.push(join(dir, entry.name));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  };
  await dotenv(root);
  for await (const entry of Deno.readDir(root)) {
    const dir = join(root, entry.name);
    if (entry.isDirectory) await dotenv(dir);
  }
  return denied;
}

/** One line a worker (its function, its upstream, its watchdog) wrote. */
export interface WorkerLogLine {
  /** The function's name. */
  function: string;
  /** The worker's name. */
  worker: string;
  /** Where it wrote it. */
  stream: "stdout" | "stderr";
  /** The line, without its newline. */
  text: string;
}

/**
 * Where a worker calls the gateway: its internal HTTP/3 origin, and a session
 * minted for it recording the worker's certificate (so its first call is
 * 0-RTT, and the listener, which admits only workers, knows whose it is).
 */
export interface GatewayLinkSource {
  /** The internal listener's origin, e.g. https://localhost:40123. */
  url: string;
  /** Mints the session for `worker`, presented under its certificate. */
  session(worker: CertifiedKey): Uint8Array | null;
}

/** How to spawn a worker, beyond its function. */
export interface SpawnOptions {
  /** Platform environment (e.g. how to reach the gateway); the function's own env wins. */
  env?: Record<string, string>;
  /** Receives the worker's output line by line; default: passed through to our stderr. */
  onLog?: (line: WorkerLogLine) => void;
  /** Run the worker on another host; default here, on loopback. */
  placement?: WorkerPlacement;
  /** A worker not ready this long after spawn is killed and counts as failed. Default 30 s. */
  startTimeoutMs?: number;
  /** The gateway's internal listener, for the worker's calls to other functions. */
  gateway?: GatewayLinkSource;
  /**
   * Run as one replica of a function on a cluster (deploy/replica.ts): with
   * the identity all its replicas share rather than one issued here, on a
   * fixed address, admitting 0-RTT only with nonces bound to `addresses`.
   */
  replica?: ReplicaListen;
}

/** How a replica listens, and the identity it shares with the function's other replicas. */
export interface ReplicaListen {
  /** Certificate, key and ticket key of the function. */
  identity: { cert: string; key: string; ticketKey: Uint8Array };
  /** Address to bind, e.g. 0.0.0.0. */
  hostname: string;
  /** Port to bind. */
  port: number;
  /** Its own addresses as clients dial them (`host:port`): nonces must name one. */
  addresses: readonly string[];
}

const encoder = new TextEncoder();
const passThrough = (line: WorkerLogLine) =>
  Deno.stderr.writeSync(encoder.encode(`${line.text}\n`));

/**
 * What a worker process is started with, fixed for its life: its Deno flags
 * (configuration, permission grant), V8 limits and working directory.
 * Functions with equal classes can take each other's stem cells.
 */
export interface StemClass {
  /** Equal for equal classes. */
  readonly key: string;
  /** `deno run` flags: the configuration and the grant. */
  readonly runFlags: readonly string[];
  /** DENO_V8_FLAGS. */
  readonly v8Flags: string;
  /** Working directory (an upstream's own directory). */
  readonly cwd?: string;
}

/** The class of the processes that can run `spec`. */
export async function stemClassOf(spec: FunctionSpec): Promise<StemClass> {
  const runFlags = [
    // The prepared configuration (the function's import map; code from the cache only),
    // else qfaas's own (npm packages, qfaas/chain), wherever the worker's cwd is.
    ...(spec.prepared
      ? [`--config=${spec.prepared}`, "--cached-only"]
      : [`--config=${PROJECT}deno.json`]),
    "--unstable-net",
    ...await permissions(spec),
  ];
  // A 1 MiB young generation: an idle worker keeps ~26 MiB less resident
  // after traffic (measured), and requests got no slower.
  const v8Flags = `--max-old-space-size=${
    spec.memoryMiB ?? DEFAULTS.memoryMiB
  },--max-semi-space-size=1`;
  const cwd = spec.upstream?.cwd;
  return { key: JSON.stringify([runFlags, v8Flags, cwd ?? null]), runFlags, v8Flags, cwd };
}

/**
 * A worker process loaded (runtime, watchdog, QUIC binding) and holding its
 * identity, but no function yet: `specialize` gives it one, once.
 */
export interface StemProcess {
  /** Its name, which its certificate carries. */
  readonly name: string;
  /** Its class: only functions of this class may take it. */
  readonly stemClass: StemClass;
  /** The process id. */
  readonly pid: number;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number>;
  /** Resolves once it is loaded and waits for a function; rejects if it ended first. */
  readonly loaded: Promise<void>;
  /** Hands it `spec` (of its class) and resolves once it serves it. */
  specialize(spec: FunctionSpec): Promise<WorkerProcess>;
  /** Ends an unspecialized stem cell (it exits when its stdin closes), killing it if it lingers. */
  discard(): Promise<void>;
}

/** Options of `spawnStem`, beyond `SpawnOptions`. */
export interface StemOptions extends SpawnOptions {
  /** The worker's name; default `stem-<pid>-<n>`. */
  name?: string;
  /**
   * Warm the HTTP/3 path before the function comes (default true): false for a
   * worker started for a tls or tcp function, which warms its own path instead.
   */
  warmH3?: boolean;
}

/**
 * Starts a stem cell of `stemClass`: its identity is issued (and the
 * gateway's session for it minted) now, so that specializing it later costs
 * only loading the function.
 */
export async function spawnStem(
  stemClass: StemClass,
  ca: TrustAnchor,
  store: ZeroRttStore,
  options: StemOptions = {},
): Promise<StemProcess> {
  const started = performance.now();
  const name = options.name ?? `stem-${Deno.pid}-${++counter}`;
  const placement = options.placement;
  const address = placement?.address ?? "127.0.0.1";
  let identity: WorkerIdentity;
  if (options.replica) {
    // The gateway mints its own session for the function: none here.
    identity = { name, ...options.replica.identity, session: new Uint8Array(0) };
  } else if (canIssue(ca)) {
    identity = await issueWorkerIdentity(ca, name, {
      ipAddresses: placement ? [placement.address] : [],
    });
  } else {
    throw new TypeError(`Cannot start ${name}: issuing its identity needs the CA's key`);
  }
  const inherited = Object.fromEntries(
    // What Deno (and an upstream's interpreter) need to run at all; nothing else leaks in.
    // The TLS and proxy settings stay too, for the function's own outbound requests, and
    // the choice of datagram path, so that a worker's socket works as the gateway's does.
    [...RUNTIME_ENV, ...OUTBOUND_ENV, DATAGRAM_IO_ENV]
      .flatMap((key) => {
        const value = Deno.env.get(key);
        return value === undefined ? [] : [[key, value]];
      }),
  );
  const env: Record<string, string> = {
    ...inherited,
    [WORKER_ENV.stem]: "1",
    [WORKER_ENV.worker]: name,
    [WORKER_ENV.parent]: String(Deno.pid),
    // For its warm-up before it has a function (public).
    [WORKER_ENV.ca]: ca.cert,
    [WORKER_ENV.hostname]: address,
    ...(options.warmH3 === false ? { [WORKER_ENV.warmH3]: "0" } : {}),
    DENO_V8_FLAGS: stemClass.v8Flags,
  };
  // Its own session and process group (setsid execs in place, so the pid is
  // the group id): killing the worker then takes its upstream process along.
  const deno = workerCommand(stemClass.runFlags);
  const [command, ...args] = [...(placement?.prefix ?? []), ...(SETSID ? [SETSID] : []), ...deno];
  const child = new Deno.Command(command, {
    args,
    env,
    clearEnv: true,
    cwd: stemClass.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const send = async (line: string) => {
    try {
      await stdin.write(encoder.encode(line));
    } catch (error) {
      // A worker that died at once (a bad flag) leaves a broken pipe: its exit is the
      // error to report, which the missing ready line does.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  };
  const close = () => stdin.close().catch(() => {});
  await send(encodeWorkerSecrets({
    tls: { cert: identity.cert, key: identity.key, ticketKey: identity.ticketKey },
    ...(options.gateway
      ? { gateway: { url: options.gateway.url, session: options.gateway.session(identity) } }
      : {}),
  }));
  const onLog = options.onLog ?? passThrough;
  // Until it is ready, its output is held: a worker that fails to start reports it in
  // its WorkerStartError (whoever runs the pool shows it once), one that starts replays it.
  let held: WorkerLogLine[] | null = [];
  let functionName = "";
  const log = (stream: "stdout" | "stderr") => (text: string) => {
    const line = { function: functionName || name, worker: name, stream, text };
    if (held) held.push(line);
    else onLog(line);
  };
  forwardLines(child.stderr.pipeThrough(new TextDecoderStream()).getReader(), "", log("stderr"));
  const exited = child.status.then((s) => s.code);
  const loaded = Promise.withResolvers<void>();
  const stdout = log("stdout");
  const ready = readReady(
    child.stdout,
    (line) => parseStem(line) ? loaded.resolve() : stdout(line),
  );
  exited.then((code) => loaded.reject(new Error(`stem cell ${name} exited with code ${code}`)));
  loaded.promise.catch(() => {}); // whoever waits sees it; nobody must
  let specialized = false;

  return {
    name,
    stemClass,
    pid: child.pid,
    exited,
    loaded: loaded.promise,
    async discard() {
      if (specialized) throw new Error(`Cannot discard ${name}: it serves a function`);
      specialized = true;
      await close();
      const timer = setTimeout(() => killGroup(child), 2000);
      await exited;
      clearTimeout(timer);
    },
    async specialize(spec) {
      if (specialized) throw new Error(`Cannot specialize ${name} twice`);
      specialized = true;
      functionName = spec.name;
      const transport = spec.transport ?? "h3";
      // An entry from specialization to exit says the worker is alive; without pre-seeding it is empty.
      if (transport === "h3") {
        store.set(name, spec.preseed === false ? new Uint8Array(0) : identity.session);
      }
      await send(encodeSpecialization({
        ...options.env,
        ...spec.env,
        ...encodeWorkerEnv({
          name,
          transport,
          hostname: options.replica?.hostname ?? address,
          port: options.replica?.port,
          replica: options.replica?.addresses,
          functionPath: spec.module,
          upstream: spec.upstream,
          ca: ca.cert,
          execTimeoutMs: spec.execTimeoutMs ?? DEFAULTS.execTimeoutMs,
          maxInflight: spec.maxInflight,
          maxBodyBytes: spec.maxBodyBytes,
          allowFfi: spec.allowFfi,
          writable: spec.writable,
          sandboxProbed: spec.upstream ? await sandboxWorks() : false,
        }),
      }));
      await close();
      const startTimeoutMs = options.startTimeoutMs ?? 30_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<"hung">((resolve) => {
        timer = setTimeout(() => resolve("hung"), startTimeoutMs);
      });
      const line = await Promise.race([ready, hung]);
      clearTimeout(timer);
      if (line === undefined || line === "hung") {
        if (line === "hung") killGroup(child);
        const code = await exited;
        store.delete(name);
        // Let the last lines of stderr arrive.
        await new Promise((resolve) => setTimeout(resolve, 20));
        const output = (held ?? []).map((line) => line.text);
        held = null;
        throw new WorkerStartError(
          spec.name,
          name,
          line === "hung" ? null : code,
          output,
          line === "hung"
            ? `its worker was not ready within ${startTimeoutMs} ms`
            : `its worker exited with code ${code} before it was ready`,
        );
      }
      for (const earlier of held ?? []) onLog(earlier);
      held = null;
      const exitListeners = new Set<(code: number) => void>();
      exited.then((code) => {
        store.delete(name);
        for (const listener of exitListeners) listener(code);
        exitListeners.clear();
      });
      return {
        name,
        transport,
        address,
        port: line.port,
        pid: child.pid,
        spawnMs: performance.now() - started,
        exited,
        onExit(listener) {
          exitListeners.add(listener);
          return () => exitListeners.delete(listener);
        },
        async stop(graceMs = 2000) {
          try {
            child.kill("SIGTERM"); // the watchdog drains, then stops its upstream
          } catch { /* already gone */ }
          const timer = setTimeout(() => killGroup(child), graceMs);
          await exited;
          clearTimeout(timer);
        },
        kill() {
          killGroup(child);
        },
      };
    },
  };
}

/**
 * Spawns a worker for `spec` and resolves once it reports ready: a stem cell
 * of its class (`options.stemClass` when the caller has it), specialized at
 * once (both lines on its stdin together).
 */
export async function spawnWorker(
  spec: FunctionSpec,
  ca: TrustAnchor,
  store: ZeroRttStore,
  options: SpawnOptions & { stemClass?: StemClass } = {},
): Promise<WorkerProcess> {
  const name = `${spec.name}-${Deno.pid}-${++counter}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const { stemClass, ...spawn } = options;
  const stem = await spawnStem(stemClass ?? await stemClassOf(spec), ca, store, {
    ...spawn,
    name,
    warmH3: (spec.transport ?? "h3") === "h3",
  });
  return await stem.specialize(spec);
}
