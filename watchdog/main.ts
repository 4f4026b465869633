/**
 * The worker process: `deno run … watchdog/main.ts`, configured by its
 * environment (see config.ts). It prints the ready line (ready.ts) once it
 * serves, and drains in-flight requests on SIGTERM.
 *
 * @module
 */
import { watchdogConfig } from "./config.ts";
import { loadFunction } from "./function_loader.ts";
import { formatReady } from "./ready.ts";
import { startUpstream } from "./upstream.ts";
import { startWatchdog } from "./watchdog.ts";

const config = watchdogConfig(Deno.env.toObject());
const upstream = config.upstream ? await startUpstream(config.upstream) : null;
const handler = upstream ? upstream.handler : await loadFunction(config.functionPath!);
// of-watchdog semantics: when the function process dies, so does the worker.
upstream?.exited.then((code) => {
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
  await watchdog.shutdown();
  await upstream?.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
