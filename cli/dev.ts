/**
 * `qfaas dev [dir]`: discovers the functions in a directory, serves them
 * through a gateway (HTTP/1.1, HTTPS and HTTP/3), prints where, prefixes each
 * function's output with its coloured name, and reloads a function when its
 * files change: new requests go to the new code at once, while requests in
 * flight finish on the old workers. Bound beyond loopback, it guards
 * `/system/*` and `/metrics` with a password made for the run and printed once.
 *
 * @module
 */
import { defineCommand } from "citty";
import { relative, resolve, sep as SEPARATOR } from "node:path";
import {
  type Gateway,
  generateSystemAuth,
  isLoopbackHost,
  startGateway,
  SYSTEM_PASSWORD_ENV,
  type SystemAuth,
} from "../gateway/mod.ts";
import { SOCKET_BUFFER_BYTES, type SocketBuffers } from "../quic/mod.ts";
import {
  FunctionUnavailable,
  type InvokerFunction,
  PrepareError,
  prepareFunction,
  type WorkerLogLine,
} from "../invoker/mod.ts";
import { unsandboxedNotice } from "../watchdog/mod.ts";
import { cacheDir, devCa, devTicketKey } from "../pki/mod.ts";
import { MemoryStore } from "../store/mod.ts";
import {
  DEFAULTS,
  describeEmpty,
  type DiscoveredFunction,
  discoverFunctions,
} from "../config/mod.ts";

/** Options of `startDev`. */
export interface DevOptions {
  /** The functions directory. */
  dir: string;
  /** Address to bind. Default 127.0.0.1. */
  hostname?: string;
  /** HTTP/1.1 port (0: any). Default 8080. */
  httpPort?: number;
  /** HTTPS and HTTP/3 port (0: any). Default 8443. */
  httpsPort?: number;
  /** Reload functions when their files change. Default true. */
  watch?: boolean;
  /**
   * Start one worker per function right away (or its `min`, if more), so first
   * requests are warm. Default true; without it, only `min` workers start.
   */
  prewarm?: boolean;
  /**
   * Stem cells kept loaded per class of functions (those sharing an import map,
   * memory and grant): a new worker then starts in the time it takes to load its
   * function. Default 2; 0 turns them off.
   */
  stemCells?: number;
  /** Where messages and function output go. Default: stdout. */
  print?: (line: string) => void;
  /** Colour function names. Default: when stdout is a terminal and NO_COLOR is unset. */
  color?: boolean;
  /**
   * Require credentials on `/system/*` and `/metrics` (basic auth as `admin`,
   * or a bearer token): a password is made for this run and printed once.
   * Default: when `hostname` is not loopback.
   */
  auth?: boolean;
}

/** A running dev server. */
export interface DevServer {
  /** The gateway. */
  readonly gateway: Gateway;
  /** The functions being served, by name. */
  readonly functions: ReadonlyMap<string, DiscoveredFunction>;
  /** The credentials `/system/*` and `/metrics` require, or null when they are open. */
  readonly systemAuth: SystemAuth | null;
  /** Resolves after the next reload has been applied (for tests and tools). */
  nextReload(): Promise<string[]>;
  /** Stops watching, drains and stops everything. */
  stop(): Promise<void>;
}

const COLORS = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92];

/** The function as the invoker runs it, with its language for `/system/functions`. */
const described = (f: DiscoveredFunction): InvokerFunction => ({ ...f.fn, runtime: f.runtime });

/**
 * A hint when the UDP sockets got less kernel buffer than asked for: bursts of
 * a large HTTP/3 body then overflow them and lose packets. Null when all is well.
 */
export function socketBufferHint(granted: SocketBuffers | null): string | null {
  const asked = `${SOCKET_BUFFER_BYTES / 1024} KiB`;
  if (granted === null) {
    return `UDP buffers stay at the system default (asked ${asked}; needs --allow-ffi on Linux): ` +
      "large HTTP/3 bodies may lose packets";
  }
  // Linux reports twice the size it set.
  if (granted.receive >= 2 * SOCKET_BUFFER_BYTES) return null;
  return `UDP receive buffer ${granted.receive / 2 / 1024} KiB, asked ${asked}: large HTTP/3 ` +
    `bodies may lose packets. Raise the limit: sudo sysctl -w net.core.rmem_max=${SOCKET_BUFFER_BYTES} ` +
    `net.core.wmem_max=${SOCKET_BUFFER_BYTES}`;
}

/** Discovers, serves and watches; throws if the directory holds no function. */
export async function startDev(options: DevOptions): Promise<DevServer> {
  const dir = resolve(options.dir);
  const print = options.print ?? ((line: string) => console.log(line));
  const color = options.color ??
    (Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"));
  const discovery = await discoverFunctions(dir);
  for (const problem of discovery.problems) print(`! ${problem.message}`);
  if (discovery.functions.length === 0) throw new NoFunctions(describeEmpty(dir));
  const prepared = await prepareAll(discovery.functions, print);
  const functions = new Map(prepared.map((f) => [f.fn.name, f]));

  const palette = new Map<string, number>();
  const label = (name: string) => {
    if (!palette.has(name)) palette.set(name, COLORS[palette.size % COLORS.length]);
    const text = `[${name}]`;
    return color ? `\x1b[${palette.get(name)}m${text}\x1b[0m` : text;
  };
  const onWorkerLog = (line: WorkerLogLine) => print(`${label(line.function)} ${line.text}`);

  const hostname = options.hostname ?? "127.0.0.1";
  // Kept in this process only: a restart is a rotation, and no secret is left on disk.
  const systemAuth = (options.auth ?? !isLoopbackHost(hostname)) ? generateSystemAuth() : null;
  const started = performance.now();
  const gateway = await startGateway({
    functions: prepared.map(described),
    ca: await devCa(),
    ticketKey: await devTicketKey(),
    store: new MemoryStore(),
    listen: {
      hostname,
      httpPort: options.httpPort ?? 8080,
      httpsPort: options.httpsPort ?? 8443,
    },
    onWorkerLog,
    systemAuth: systemAuth ?? undefined,
    stemCells: options.stemCells ?? DEFAULT_STEM_CELLS,
  });
  const readyMs = performance.now() - started;

  const width = Math.max(...[...functions.keys()].map((n) => n.length));
  print(`qfaas dev: ${functions.size} function(s) from ${dir}, ready in ${readyMs.toFixed(0)} ms`);
  for (const f of functions.values()) {
    print(
      `  ${label(f.fn.name)}${" ".repeat(width - f.fn.name.length)}  ${f.runtime.padEnd(8)} ${
        gateway.http ?? gateway.https
      }/function/${f.fn.name}`,
    );
  }
  print(`  HTTP/1.1  ${gateway.http}`);
  print(`  HTTPS     ${gateway.https}   HTTP/3 on UDP port ${gateway.h3Port}`);
  print(`  CA        ${cacheDir()}/ca/ca.pem   (curl --cacert it, or --http3)`);
  print(`  metrics   ${gateway.http}/metrics    functions ${gateway.http}/system/functions`);
  for (const line of systemAuthLines(systemAuth, hostname, gateway.http ?? gateway.https)) {
    print(line);
  }
  const buffers = socketBufferHint(gateway.socketBuffers);
  if (buffers) print(`! ${buffers}`);
  const upstreams = [...functions.values()].filter((f) => f.fn.upstream).map((f) => f.fn.name);
  const unsandboxed = await unsandboxedNotice(upstreams);
  if (unsandboxed) print(`! ${unsandboxed}`);
  const first = functions.has("echo") ? "echo" : [...functions.keys()][0];
  print(`Try: qfaas invoke ${first} -d hi`);

  // A worker that fails to start: its whole output once (again only if it changes),
  // then requests get 503 while the pool backs off.
  const shown = new Map<string, string>();
  gateway.invoker.onStartFailure((name, failure) => {
    if (failure === null) {
      shown.delete(name);
      print(`${label(name)} started`);
      return;
    }
    const text = failure.error.output.join("\n");
    const retry = `next try in ${(failure.retryInMs / 1000).toFixed(1)} s`;
    if (shown.get(name) === text) {
      print(`${label(name)} ! still cannot start (attempt ${failure.attempts}); ${retry}`);
      return;
    }
    shown.set(name, text);
    print(`${label(name)} ! ${failure.error.message}; requests get 503, ${retry}`);
    for (const line of failure.error.output) print(`${label(name)}   ${line}`);
  });

  /** Starts `min` workers (at least one with prewarm) in the background; failures are shown above. */
  const warm = (f: DiscoveredFunction) => {
    const count = Math.max(f.fn.min ?? DEFAULTS.min, (options.prewarm ?? true) ? 1 : 0);
    if (count === 0 || f.fn.unavailable) return;
    gateway.invoker.warm(f.fn.name, count).catch((error) => {
      if (error instanceof FunctionUnavailable) return; // shown by the listener
      print(`${label(f.fn.name)} ! its worker did not start: ${(error as Error).message}`);
    });
  };
  // In the background: the gateway already answers, and a request that
  // arrives first simply gets its own worker.
  for (const f of functions.values()) warm(f);

  const reloads: ((names: string[]) => void)[] = [];
  const watcher = (options.watch ?? true) ? Deno.watchFs(dir, { recursive: true }) : null;
  const watching = watcher ? watch(watcher) : Promise.resolve();

  async function watch(events: Deno.FsWatcher): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const changed = new Set<string>();
    for await (const event of events) {
      // Dot-directories hold data (a function's SQLite file, an outbox), never code;
      // a dotfile itself (.env) still counts.
      const paths = event.paths.filter((path) =>
        !relative(dir, path).split(SEPARATOR).slice(0, -1).some((part) => part.startsWith("."))
      );
      if (paths.length === 0) continue;
      for (const path of paths) changed.add(path);
      clearTimeout(timer);
      // Editors write in bursts (temp file, rename, chmod): act once it settles.
      timer = setTimeout(() => {
        const paths = [...changed];
        changed.clear();
        reload(paths).then((names) => {
          for (const resolve of reloads.splice(0)) resolve(names);
        }, (error) => print(`! reload failed: ${(error as Error).message}`));
      }, 150);
    }
  }

  /** Applies a change: new, removed and edited functions. Returns the names reloaded. */
  async function reload(paths: string[]): Promise<string[]> {
    const next = await discoverFunctions(dir);
    for (const problem of next.problems) print(`! ${problem.message}`);
    const unprepared = (f: DiscoveredFunction) => ({
      ...f.fn,
      prepared: undefined,
      unavailable: undefined,
    });
    const names: string[] = [];
    const seen = new Set<string>();
    // A change outside every function's own directory (shared code, an import map at
    // the root, a package.json) may touch any of them: all reload.
    const inside = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
    const shared = paths.some((p) => !next.functions.some((f) => inside(p, f.dir)));
    for (let f of next.functions) {
      const name = f.fn.name;
      seen.add(name);
      const before = functions.get(name);
      const touched = shared || paths.some((p) => inside(p, f.dir));
      if (
        before && !touched && JSON.stringify(unprepared(before)) === JSON.stringify(unprepared(f))
      ) continue;
      const [ready] = await prepareAll([f], print);
      // Reported; a function that ran keeps its old code until the new one prepares.
      if (ready.fn.unavailable && before && !before.fn.unavailable) continue;
      f = ready;
      functions.set(name, f);
      names.push(name);
      if (before) {
        print(`${label(name)} reloading (requests in flight finish on the old code)`);
        shown.delete(name);
        await gateway.invoker.replace(described(f));
      } else {
        print(`${label(name)} added: ${gateway.http}/function/${name}`);
        gateway.invoker.register(described(f));
      }
      warm(f);
    }
    for (const name of [...functions.keys()]) {
      if (seen.has(name)) continue;
      functions.delete(name);
      names.push(name);
      print(`${label(name)} removed`);
      await gateway.invoker.unregister(name);
    }
    return names;
  }

  return {
    gateway,
    functions,
    systemAuth,
    nextReload: () => new Promise((resolve) => reloads.push(resolve)),
    async stop() {
      watcher?.close();
      await watching;
      await gateway.shutdown();
    },
  };
}

/**
 * What `qfaas dev` prints about the admin API's credentials: the user and the
 * password, a curl example and the `qfaas list` line; a warning when a gateway
 * bound beyond loopback leaves them open (`--no-auth`); nothing on loopback.
 */
export function systemAuthLines(
  auth: SystemAuth | null,
  hostname: string,
  origin: string | null,
): string[] {
  if (auth === null) {
    return isLoopbackHost(hostname) ? [] : [
      `! --no-auth: /system/* and /metrics are open to anyone who can reach this host (bound to ${hostname})`,
    ];
  }
  const base = origin ?? "http://HOST:PORT";
  return [
    `  auth      /system/* and /metrics need user ${auth.user}, password ${auth.password} (made for this run)`,
    `            curl -u ${auth.user}:${auth.password} ${base}/system/functions` +
    "   (or send the password as a Bearer token)",
    `            ${SYSTEM_PASSWORD_ENV}=${auth.password} qfaas list --gateway ${base}`,
  ];
}

/** How many functions are prepared at once (each is a `deno cache` process). */
const PREPARE_CONCURRENCY = 4;

/**
 * Prepares the Deno functions among `found` (worker configuration written,
 * module graph cached, once); a function that cannot be prepared is reported
 * with Deno's message (file and specifier) and marked unavailable (503).
 */
async function prepareAll(
  found: DiscoveredFunction[],
  print: (line: string) => void,
): Promise<DiscoveredFunction[]> {
  const deno = found.filter((f) => f.fn.module);
  const started = performance.now();
  if (deno.length > 1) {
    print(`qfaas dev: preparing ${deno.length} functions (resolving and caching their modules)`);
  }
  const results = new Map<DiscoveredFunction, DiscoveredFunction>();
  const queue = [...deno];
  const work = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      try {
        const { config } = await prepareFunction(f.fn);
        results.set(f, { ...f, fn: { ...f.fn, prepared: config } });
      } catch (error) {
        if (!(error instanceof PrepareError)) throw error;
        print(`! ${error.message}`);
        for (const line of error.detail.split("\n")) print(`    ${line}`);
        results.set(f, { ...f, fn: { ...f.fn, unavailable: error.message } });
      }
    }
  };
  await Promise.all(Array.from({ length: PREPARE_CONCURRENCY }, work));
  if (deno.length > 1) {
    print(`qfaas dev: prepared in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return found.map((f) => results.get(f) ?? f);
}

/** The directory holds no function; the message says what `qfaas dev` looks for. */
export class NoFunctions extends Error {
  /** Creates the error with the explanation for the user. */
  constructor(message: string) {
    super(message);
    this.name = "NoFunctions";
  }
}

/** Stem cells kept per class of functions unless `--stem-cells` says otherwise. */
const DEFAULT_STEM_CELLS = 2;

function count(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) {
    throw new TypeError(`--${name} must be a whole number from 0 to 64, received "${value}"`);
  }
  return n;
}

function port(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new TypeError(`--${name} must be a port number (0 for any), received "${value}"`);
  }
  return n;
}

/** `qfaas dev`. */
export const devCommand = defineCommand({
  meta: {
    name: "dev",
    description: "Serve the functions in a directory through a local gateway, reloading on change",
  },
  args: {
    dir: {
      type: "positional",
      required: false,
      default: "./functions",
      description: "functions directory",
    },
    port: { type: "string", default: "8080", description: "HTTP/1.1 port (0: any)" },
    "https-port": {
      type: "string",
      default: "8443",
      description: "HTTPS and HTTP/3 port (0: any)",
    },
    host: { type: "string", default: "127.0.0.1", description: "address to bind" },
    auth: {
      type: "boolean",
      description:
        "require a password on /system/* and /metrics (default: when --host is not loopback; --no-auth: never)",
    },
    watch: { type: "boolean", default: true, description: "reload on change (--no-watch to stop)" },
    prewarm: {
      type: "boolean",
      default: true,
      description: "start one worker per function at once (--no-prewarm: scale from zero)",
    },
    "stem-cells": {
      type: "string",
      default: String(DEFAULT_STEM_CELLS),
      description:
        "loaded, function-less workers kept per class of functions (0: none; at most 4 × N in all)",
    },
  },
  async run({ args }) {
    let server: DevServer;
    try {
      server = await startDev({
        dir: args.dir,
        hostname: args.host,
        httpPort: port("port", args.port),
        httpsPort: port("https-port", args["https-port"]),
        watch: args.watch,
        prewarm: args.prewarm,
        auth: args.auth,
        stemCells: count("stem-cells", args["stem-cells"]),
      });
    } catch (error) {
      if (error instanceof NoFunctions) {
        console.error(error.message);
        Deno.exit(1);
      }
      if (error instanceof Deno.errors.NotFound) {
        console.error(`qfaas dev: ${error.message}\n\n${describeEmpty(resolve(args.dir))}`);
        Deno.exit(1);
      }
      if (error instanceof Deno.errors.AddrInUse) {
        console.error(
          `qfaas dev: a port is taken (${error.message}); pick others with --port and --https-port`,
        );
        Deno.exit(1);
      }
      if (error instanceof TypeError) {
        console.error(`qfaas dev: ${error.message}`);
        Deno.exit(2);
      }
      throw error;
    }
    const stop = async () => {
      console.log("\nqfaas dev: stopping (draining requests in flight)");
      await server.stop();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  },
});
