/**
 * The worker process: `qfaas worker` (main.ts loads this module for that
 * subcommand), configured by its environment and the secrets on its stdin
 * (contract.ts, config.ts). It gives up FFI and subprocesses before the
 * function's code loads (containment.ts), prints the ready line once it
 * serves, and drains in-flight requests on SIGTERM.
 *
 * @module
 */
import {
  GATEWAY_ENV,
  type GatewayLink,
  installGatewayLink,
  startGatewayProxy,
} from "../chain/mod.ts";
import { watchdogConfig } from "./config.ts";
import { containFunction } from "./containment.ts";
import type { Env } from "./config.ts";
import {
  decodeSpecialization,
  formatReady,
  formatStem,
  readWorkerSecrets,
  StdinLines,
  WORKER_ENV,
  type WorkerSecrets,
} from "./contract.ts";
import { type FunctionHandler, loadFunction } from "./function_loader.ts";
import { startUpstream } from "./upstream.ts";
import { startWatchdog, warmUpH3 } from "./watchdog.ts";

/**
 * An upstream_url with port 0 gets a free loopback port (told to the upstream
 * as PORT and upstream_url), so that several workers of one function can run
 * side by side on one host, where OpenFaaS gives each container its own.
 */
function withFreePort(url: string): string {
  const parsed = new URL(url);
  if (parsed.port !== "0") return url;
  const probe = Deno.listen({ hostname: parsed.hostname, port: 0 });
  parsed.port = String((probe.addr as Deno.NetAddr).port);
  probe.close();
  return parsed.href.replace(/\/$/, "");
}

/** How this worker reaches the gateway, as a worker (its own certificate); null outside qfaas dev. */
function linkOf(env: Env, secrets: WorkerSecrets): GatewayLink | null {
  const ca = env[WORKER_ENV.ca];
  if (!secrets.gateway || !ca) return null;
  const address = env[GATEWAY_ENV.address];
  return {
    url: new URL(secrets.gateway.url).origin,
    ca,
    session: secrets.gateway.session,
    ...(address ? { address } : {}),
    ...(secrets.tls ? { identity: { cert: secrets.tls.cert, key: secrets.tls.key } } : {}),
  };
}

// First, before anything else can: the secrets. A stem cell then says it is loaded and
// waits for its function's settings; stdin must end after that (contract.ts).
const stdin = new StdinLines(Deno.stdin.readable);
const secrets = await readWorkerSecrets(stdin);
// A stem cell warms the HTTP/3 path (JIT, the engine) with its identity first: the
// function's listener then starts warm.
const stem = Deno.env.get(WORKER_ENV.stem) === "1";
const ca = Deno.env.get(WORKER_ENV.ca);
const warmed = stem && !!secrets.tls && !!ca && Deno.env.get(WORKER_ENV.warmH3) !== "0";
if (warmed) {
  await warmUpH3(secrets.tls!, Deno.env.get(WORKER_ENV.hostname) ?? "127.0.0.1", ca!);
}
if (stem) {
  console.log(formatStem(Deno.env.get(WORKER_ENV.worker) ?? "worker"));
  const line = await stdin.next();
  if (line === null) Deno.exit(0); // the invoker discarded this stem cell
  for (const [name, value] of Object.entries(decodeSpecialization(line))) Deno.env.set(name, value);
}
await stdin.end();
const env = Deno.env.toObject();
const config = watchdogConfig(env, secrets);
// Calls to the gateway ride HTTP/3 0-RTT: plain fetch from a Deno function,
// and a loopback proxy (its gateway_url) for an upstream in any language.
const link = linkOf(env, secrets);
if (link) installGatewayLink(link);
// Unless its configuration points gateway_url elsewhere (a bench's tcp or tls gateway).
const gatewayUrl = env[GATEWAY_ENV.url];
const proxy = config.upstream && link && gatewayUrl && new URL(gatewayUrl).origin === link.url
  ? startGatewayProxy(link)
  : null;
const upstreamUrl = config.upstream ? withFreePort(config.upstream.upstreamUrl) : null;
const upstream = config.upstream && upstreamUrl
  ? await startUpstream({
    ...config.upstream,
    upstreamUrl,
    name: config.name,
    // In bubblewrap where it works (sandbox.ts): its directory read-only, these writable.
    writable: config.writable,
    sandbox: config.sandbox,
    // Its whole environment: the worker's, which holds no key material (contract.ts).
    env: {
      ...env,
      upstream_url: upstreamUrl,
      PORT: new URL(upstreamUrl).port,
      ...(proxy ? { gateway_url: proxy.url, QFAAS_GATEWAY_URL: proxy.url } : {}),
    },
  })
  : null;
// of-watchdog semantics: when the function process dies, so does the worker.
let stopping = false;
upstream?.exited.then((code) => {
  if (stopping) return; // we stopped it ourselves
  console.error(
    JSON.stringify({
      level: "error",
      worker: config.name,
      error: `upstream exited with code ${code}`,
    }),
  );
  Deno.exit(1);
});
// The listener (its TLS context, built from the key) before any function code runs,
// which could otherwise patch the built-ins that building it uses. Nobody knows its
// port before the ready line, so no request arrives before the function is loaded.
let handler: FunctionHandler | null = upstream?.handler ?? null;
const watchdog = await startWatchdog(
  (request) => handler!(request),
  config,
  (error, requestId) => {
    console.error(
      JSON.stringify({ level: "error", worker: config.name, requestId, error: String(error) }),
    );
  },
  { warmed },
);
containFunction({ allowFfi: config.allowFfi });
handler ??= await loadFunction(config.functionPath!);
console.log(formatReady(watchdog.port, config.name));

const stop = async () => {
  Deno.removeSignalListener("SIGTERM", stop);
  stopping = true;
  await watchdog.shutdown();
  await upstream?.stop();
  await proxy?.shutdown();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);

// A worker has its own process group, so nothing else stops it if whoever
// spawned it dies without stopping it (SIGKILL, a crash): notice the new parent.
// The spawner names itself, so a worker whose spawner died while it was still
// starting (its parent already init when it looked) stops too.
const parent = Number(env[WORKER_ENV.parent]) || Deno.ppid;
const orphaned = setInterval(() => {
  if (Deno.ppid !== parent) {
    clearInterval(orphaned);
    stop();
  }
}, 500);
Deno.unrefTimer(orphaned);
