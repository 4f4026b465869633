/**
 * `qfaas list`: the functions a running gateway serves, with their runtime,
 * live workers and invocations (OpenFaaS's `faas-cli list`).
 *
 * @module
 */
import { defineCommand } from "citty";

/** A function as `/system/functions` describes it. */
interface Described {
  name: string;
  runtime: string;
  replicas: number;
  invocationCount: number;
  transport: string;
}

/** Formats the table `qfaas list` prints. */
export function formatList(functions: Described[]): string {
  const rows = [["NAME", "RUNTIME", "TRANSPORT", "WORKERS", "INVOCATIONS"]].concat(
    functions.map((f) => [
      f.name,
      f.runtime,
      f.transport,
      String(f.replicas),
      String(f.invocationCount),
    ]),
  );
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

/** `qfaas list`. */
export const listCommand = defineCommand({
  meta: { name: "list", description: "List the functions of a running gateway (qfaas dev)" },
  args: {
    gateway: {
      type: "string",
      description: "gateway URL (default $QFAAS_GATEWAY or http://127.0.0.1:8080)",
    },
  },
  async run({ args }) {
    const gateway = args.gateway ?? Deno.env.get("QFAAS_GATEWAY") ?? "http://127.0.0.1:8080";
    let functions: Described[];
    try {
      const response = await fetch(new URL("/system/functions", gateway));
      if (!response.ok) throw new Error(`it answered ${response.status}`);
      functions = await response.json();
    } catch (error) {
      console.error(
        `qfaas list: cannot list the functions at ${gateway}: ${(error as Error).message}\n` +
          "Is `qfaas dev` running? Start it with: qfaas dev ./functions",
      );
      Deno.exit(1);
    }
    console.log(formatList(functions));
  },
});
