/**
 * The worker process: `qfaas worker` (main.ts loads this module for that
 * subcommand), configured by its environment (see worker_env.ts and config.ts). It prints the ready line (ready.ts) once it
 * serves, and drains in-flight requests on SIGTERM.
 *
 * @module
 */
import { gatewayLink, installGatewayFetch, startGatewayProxy } from "../chain/mod.ts";
import { watchdogConfig } from "./config.ts";
import { WORKER_ENV } from "./worker_env.ts";
import { loadFunction } from "./function_loader.ts";
import { formatReady } from "./ready.ts";
import { startUpstream } from "./upstream.ts";
import { startWatchdog } from "./watchdog.ts";

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

const env = Deno.env.toObject();
const config = watchdogConfig(env);
// Calls to the gateway ride HTTP/3 0-RTT: plain fetch from a Deno function,
// and a loopback proxy (its gateway_url) for an upstream in any language.
const link = gatewayLink(env);
if (link) installGatewayFetch(link);
const proxy = config.upstream && link ? startGatewayProxy(link) : null;
const upstreamUrl = config.upstream ? withFreePort(config.upstream.upstreamUrl) : null;
const upstream = config.upstream && upstreamUrl
  ? await startUpstream({
    ...config.upstream,
    upstreamUrl,
    env: {
      ...env,
      upstream_url: upstreamUrl,
      PORT: new URL(upstreamUrl).port,
      ...(proxy ? { gateway_url: proxy.url, QFAAS_GATEWAY_URL: proxy.url } : {}),
    },
  })
  : null;
const handler = upstream ? upstream.handler : await loadFunction(config.functionPath!);
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
const watchdog = await startWatchdog(handler, config, (error, requestId) => {
  console.error(
    JSON.stringify({ level: "error", worker: config.name, requestId, error: String(error) }),
  );
});
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
