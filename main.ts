/**
 * The `qfaas` program. `qfaas worker` is the worker process the invoker starts
 * by re-executing this same program on the same Deno runtime; it loads only
 * the watchdog, never the CLI.
 *
 * @module
 */
import { WORKER_SUBCOMMAND } from "./watchdog/contract.ts";

if (import.meta.main) {
  if (Deno.args[0] === WORKER_SUBCOMMAND) {
    await import("./watchdog/main.ts");
  } else {
    // Not a literal: a worker's module graph (which it runs from the cache only)
    // then holds the watchdog alone, never the CLI and its packages.
    const cli = "./cli/mod.ts";
    const { main } = await import(cli);
    await main();
  }
}
