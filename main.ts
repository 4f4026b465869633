/**
 * The `qfaas` executable. `qfaas worker` is the worker process the invoker
 * starts by re-executing this same program (so a compiled qfaas starts its
 * workers the same way); it loads only the watchdog, never the CLI.
 *
 * @module
 */
import { WORKER_SUBCOMMAND } from "./watchdog/worker_env.ts";

if (import.meta.main) {
  if (Deno.args[0] === WORKER_SUBCOMMAND) {
    await import("./watchdog/main.ts");
  } else {
    const { main } = await import("./cli/mod.ts");
    await main();
  }
}
