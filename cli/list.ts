/**
 * `qfaas list`: the functions a running gateway serves, with their runtime,
 * live workers and invocations (OpenFaaS's `faas-cli list`). A gateway bound
 * beyond loopback wants the password `qfaas dev` printed, from `$QFAAS_PASSWORD`.
 *
 * @module
 */
import { defineCommand } from "citty";
import { SYSTEM_PASSWORD_ENV } from "../gateway/mod.ts";

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

/** Why the gateway refused the listing, and what to do about it. */
function refusal(status: number, password: string | undefined): string {
  if (status !== 401) return `it answered ${status}`;
  return password === undefined
    ? `it wants credentials (it listens beyond loopback): set ${SYSTEM_PASSWORD_ENV} to the ` +
      "password qfaas dev printed"
    : `it refused ${SYSTEM_PASSWORD_ENV} (qfaas dev makes a new password each time it starts)`;
}

/** `qfaas list`. */
export const listCommand = defineCommand({
  meta: {
    name: "list",
    description:
      `List the functions of a running gateway (qfaas dev); $${SYSTEM_PASSWORD_ENV}: its password, if it asks`,
  },
  args: {
    gateway: {
      type: "string",
      description: "gateway URL (default $QFAAS_GATEWAY or http://127.0.0.1:8080)",
    },
  },
  async run({ args }) {
    const gateway = args.gateway ?? Deno.env.get("QFAAS_GATEWAY") ?? "http://127.0.0.1:8080";
    const password = Deno.env.get(SYSTEM_PASSWORD_ENV) || undefined;
    const cannot = `qfaas list: cannot list the functions at ${gateway}`;
    let response: Response;
    try {
      response = await fetch(new URL("/system/functions", gateway), {
        headers: password === undefined ? {} : { authorization: `Bearer ${password}` },
      });
    } catch (error) {
      console.error(
        `${cannot}: ${(error as Error).message}\n` +
          "Is `qfaas dev` running? Start it with: qfaas dev ./functions",
      );
      Deno.exit(1);
    }
    if (!response.ok) {
      await response.body?.cancel();
      console.error(`${cannot}: ${refusal(response.status, password)}`);
      Deno.exit(1);
    }
    let functions: Described[];
    try {
      functions = await response.json();
    } catch (error) {
      console.error(`${cannot}: its answer is not JSON (${(error as Error).message})`);
      Deno.exit(1);
    }
    console.log(formatList(functions));
  },
});
