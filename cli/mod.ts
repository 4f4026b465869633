/**
 * The cli room: the `qfaas` command. Each subcommand parses its arguments
 * and calls one function of another room; `qfaas bench`'s subcommands are
 * the bench room's own (bench/commands.ts), loaded only when it runs.
 *
 * @module
 */
import { defineCommand, runMain } from "citty";
import { benchCommand } from "./bench.ts";
import { deployCommand } from "./deploy.ts";
import { devCommand } from "./dev.ts";
import { gatewayCommand } from "./gateway.ts";
import { imageCommand } from "./image.ts";
import { invokeCommand } from "./invoke.ts";
import { listCommand } from "./list.ts";
import { newCommand } from "./new.ts";
import { replicaCommand } from "./replica.ts";
import { VERSION, versionText } from "./version.ts";

// The `qfaas` root command.
const qfaas = defineCommand({
  meta: {
    name: "qfaas",
    version: VERSION,
    description: "Serverless dev server whose internal network is QUIC with pre-seeded 0-RTT",
  },
  subCommands: {
    dev: devCommand,
    invoke: invokeCommand,
    list: listCommand,
    deploy: deployCommand,
    replica: replicaCommand,
    gateway: gatewayCommand,
    image: imageCommand,
    new: newCommand,
    bench: benchCommand,
    version: defineCommand({
      meta: { name: "version", description: "Print the versions of QFaaS and its runtime" },
      run() {
        console.log(versionText());
      },
    }),
  },
});

/** Runs the CLI with `args` (default: the process arguments). */
export function main(args: string[] = Deno.args): Promise<void> {
  return runMain(qfaas, { rawArgs: args });
}
