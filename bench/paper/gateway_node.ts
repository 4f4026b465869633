// The gateway host of `qfaas bench paper`: runs in its own network namespace,
// serves the paper functions, and places workers in the workers' namespace.
// With an app in its configuration, it serves that app's functions over one
// transport instead. Configured by QFAAS_BENCH_GATEWAY (JSON); prints one JSON line when ready,
// then answers control lines on stdin (`Control`: {"op":"recycle","name":…},
// {"op":"stems","atLeast":1}) until stdin ends. Serving the paper's functions, its gateway keeps
// one stem cell (`STEM_CELLS`) per class when it serves a stem transport, which only the stem
// cold-start function takes (functions.ts); an app's functions get none. A gateway of the tls12
// baseline holds its HTTPS listener to TLS 1.2, so that functions calling back use 1.2 too.
import { TRANSPORT_MODES, type TransportMode } from "../report/mod.ts";
import { discoverFunctions, tcpTlsVersion } from "../../config/mod.ts";
import { startGateway } from "../../gateway/mod.ts";
import { createCa } from "../../pki/mod.ts";
import { MemoryStore } from "../../store/mod.ts";
import { type GatewayUrls, hop, paperFunctions, STEM_CELLS, STEM_TRANSPORTS } from "./functions.ts";
import { serveLines } from "./json_lines.ts";

/** How the bench configures this process (QFAAS_BENCH_GATEWAY, JSON). */
export interface GatewayNodeConfig {
  /** This host's address. */
  hostname: string;
  /** Where workers run: command prefix and address; null for loopback here. */
  workers: { prefix: string[]; address: string } | null;
  /** The transports whose paper functions it serves (default all); ignored with `app`. */
  transports?: TransportMode[];
  /** Serve an application's functions over one transport instead of the paper's functions. */
  app?: AppConfig;
}

/** The HTTPS version cap of a gateway serving only `transports`: TLS 1.2 for the tls12 baseline. */
export function httpsCap(transports: readonly TransportMode[]): "TLSv1.2" | undefined {
  return transports.length > 0 && transports.every((t) => t === "tls12") ? "TLSv1.2" : undefined;
}

/** An application served by a gateway node. */
export interface AppConfig {
  /** Its functions directory. */
  dir: string;
  /** How the gateway reaches its workers, and its functions reach the gateway. */
  transport: TransportMode;
  /** Extra environment for every function (e.g. where its data lives). */
  env?: Record<string, string>;
  /** Extra paths every function may write. */
  writable?: string[];
  /** Serve the files of this directory over HTTP on this host (an origin for the app). */
  files?: string;
}

/** The line this process prints when it serves. */
export interface GatewayNodeReady {
  /** The gateway's HTTP/1.1 base URL. */
  http: string;
  /** The gateway's HTTPS base URL. */
  https: string;
  /** The CA its certificates chain to (PEM). */
  ca: string;
  /** Base URL of the served files, when asked for. */
  files?: string;
}

/**
 * The app's functions, each reached over `transport`. Over tcp and tls the
 * functions call the gateway's HTTP or HTTPS listener instead of its HTTP/3
 * one, so a chain's every hop uses the transport measured.
 */
async function appFunctions(app: AppConfig, urls: GatewayUrls, caFile: string) {
  const { functions, problems } = await discoverFunctions(app.dir);
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join("\n"));
  // Over tcp, tls and tls12 the functions call back through the gateway's HTTP or HTTPS listener.
  const { transport } = hop(app.transport);
  const tls = tcpTlsVersion(transport) !== null;
  const gateway: Record<string, string> = transport === "h3" ? {} : {
    QFAAS_GATEWAY_URL: tls ? urls.https : urls.http,
    gateway_url: tls ? urls.https : urls.http,
    ...(tls ? { DENO_CERT: caFile } : {}),
  };
  return functions.map(({ fn }) => ({
    ...fn,
    ...hop(app.transport),
    connection: "new" as const,
    env: { ...fn.env, ...app.env, ...gateway },
    writable: [...(fn.writable ?? []), ...(app.writable ?? [])],
  }));
}

/** Serves the files of `dir` over HTTP on `hostname`. */
function serveFiles(hostname: string, dir: string): { url: string; server: Deno.HttpServer } {
  const server = Deno.serve({ hostname, port: 0, onListen() {} }, async (request) => {
    const name = new URL(request.url).pathname.slice(1);
    if (!/^[\w.-]+$/.test(name)) return new Response("not found", { status: 404 });
    try {
      return new Response(await Deno.readFile(`${dir}/${name}`), {
        headers: { "content-type": contentType(name) },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://${hostname}:${server.addr.port}`, server };
}

function contentType(name: string): string {
  const types: Record<string, string> = { png: "image/png", jpg: "image/jpeg", webp: "image/webp" };
  return types[name.split(".").pop() ?? ""] ?? "application/octet-stream";
}

/** A control message: replace the function's workers, so that the next request spawns one. */
export interface Recycle {
  /** The command. */
  op: "recycle";
  /** The function whose workers are replaced. */
  name: string;
}

/**
 * A control message: answer once at least `atLeast` stem cells are loaded and
 * free (so that the next cold start finds one, and no cell is starting in the
 * background while it is measured), or with an error after `STEM_WAIT_MS`.
 */
export interface StemCells {
  /** The command. */
  op: "stems";
  /** Free stem cells to wait for. */
  atLeast: number;
}

/** A control message the gateway node answers. */
export type Control = Recycle | StemCells;

/** The answer to a control message. */
export interface ControlAnswer {
  /** It was done. */
  ok: boolean;
  /** Why not. */
  error?: string;
  /** Free stem cells, all classes (for `stems`). */
  free?: number;
}

/** How long `stems` waits for its cells. */
const STEM_WAIT_MS = 60_000;

async function main(config: GatewayNodeConfig): Promise<void> {
  const ca = await createCa("QFaaS paper bench CA");
  // For functions that call the gateway over TLS: Deno's fetch trusts DENO_CERT (removed at the end).
  const caFile = await Deno.makeTempFile({ suffix: ".pem" });
  await Deno.writeTextFile(caFile, ca.cert);
  const transports = config.app ? [config.app.transport] : config.transports ?? TRANSPORT_MODES;
  const gateway = await startGateway({
    functions: [],
    ca,
    store: new MemoryStore(),
    listen: {
      hostname: config.hostname,
      httpPort: 0,
      httpsPort: 0,
      httpsMaxVersion: httpsCap(transports),
    },
    placement: config.workers ?? undefined,
    stemCells: !config.app && transports.some((t) => STEM_TRANSPORTS.includes(t)) ? STEM_CELLS : 0,
    onWorkerLog: (line) => {
      if (line.stream === "stderr") console.error(`[${line.worker}] ${line.text}`);
    },
  });
  const http = `http://${config.hostname}:${new URL(gateway.http!).port}`;
  const https = `https://${config.hostname}:${new URL(gateway.https!).port}`;
  const functions = config.app
    ? await appFunctions(config.app, { http, https }, caFile)
    : paperFunctions(transports, { http, https });
  for (const fn of functions) gateway.invoker.register(fn);
  const files = config.app?.files ? serveFiles(config.hostname, config.app.files) : undefined;
  const ready: GatewayNodeReady = {
    http,
    https,
    ca: ca.cert,
    ...(files ? { files: files.url } : {}),
  };
  console.log(JSON.stringify(ready));

  await serveLines(async (command: Control): Promise<ControlAnswer> => {
    if (command.op === "stems" && typeof command.atLeast === "number") {
      const deadline = Date.now() + STEM_WAIT_MS;
      while (gateway.invoker.freeStemCells < command.atLeast) {
        if (Date.now() > deadline) {
          const free = gateway.invoker.freeStemCells;
          return {
            ok: false,
            free,
            error: `${free} free stem cells after ${STEM_WAIT_MS} ms, expected ${command.atLeast}`,
          };
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { ok: true, free: gateway.invoker.freeStemCells };
    }
    if (command.op !== "recycle" || !command.name) {
      return { ok: false, error: `unknown command ${JSON.stringify(command)}` };
    }
    // A new pool: the next request starts a new worker (a process, or a stem cell specialized);
    // the old one drains and stops.
    const fn = gateway.invoker.function(command.name);
    if (!fn) return { ok: false, error: `no function ${command.name}` };
    await gateway.invoker.replace(fn);
    return { ok: true };
  });
  await Promise.all([gateway.shutdown(), files?.server.shutdown()]);
  await Deno.remove(caFile);
}

if (import.meta.main) await main(JSON.parse(Deno.env.get("QFAAS_BENCH_GATEWAY") ?? "{}"));
