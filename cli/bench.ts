/**
 * `qfaas bench`: runs the benchmarks of bench/, a workspace member of its
 * own. Its subcommands (bench/commands.ts) are loaded only when `qfaas bench`
 * runs, by an import whose specifier is built at run time: `deno cache`,
 * `deno info` and `deno compile` follow only string literals, so the CLI's
 * module graph, an image's cache and a compiled binary carry neither the
 * benchmarks nor their packages (vega, vega-lite, sharp).
 *
 * @module
 */
import { defineCommand, type SubCommandsDef } from "citty";

/** The module with `qfaas bench`'s subcommands (it exports `benchCommands`). */
export const BENCH_COMMANDS: URL = new URL("../bench/commands.ts", import.meta.url);

/** The bench module could not be loaded: not shipped with this qfaas (an image, a binary), or broken. */
export class BenchUnavailableError extends Error {
  /** `url` could not be loaded, for `reason`. */
  constructor(readonly url: URL, reason: string) {
    super(
      `cannot load the benchmarks from ${url.protocol === "file:" ? url.pathname : url.href}: ` +
        `${reason}. They are not part of a compiled binary or an image: run qfaas bench from ` +
        "a checkout of qfaas",
    );
    this.name = "BenchUnavailableError";
  }
}

/**
 * The subcommands the module at `url` exports as `benchCommands`.
 *
 * @throws {BenchUnavailableError} if it cannot be imported or exports none.
 */
export async function loadBenchCommands(url: URL = BENCH_COMMANDS): Promise<SubCommandsDef> {
  let module: { benchCommands?: unknown };
  try {
    module = await import(url.href);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0].replace(/\.$/, "");
    throw new BenchUnavailableError(url, reason);
  }
  const commands = module.benchCommands;
  if (typeof commands !== "object" || commands === null) {
    throw new BenchUnavailableError(url, "it exports no benchCommands");
  }
  return commands as SubCommandsDef;
}

/** `qfaas bench <suite>`; a bench that cannot be loaded is one line on stderr, exit 1. */
export const benchCommand = defineCommand({
  meta: {
    name: "bench",
    description: "Measure QFaaS against TCP and TLS, side by side in one run",
  },
  async subCommands() {
    try {
      return await loadBenchCommands();
    } catch (error) {
      if (!(error instanceof BenchUnavailableError)) throw error;
      console.error(`qfaas bench: ${error.message}`);
      Deno.exit(1);
    }
  },
});
