// The gateway host of `qfaas bench paper`: runs in its own network namespace,
// serves the paper functions, and places workers in the workers' namespace.
// Configured by QFAAS_BENCH_GATEWAY (JSON); prints one JSON line when ready,
// then answers control lines on stdin ({"op":"recycle","name":…}) until stdin ends.
import { TRANSPORTS } from "../report/mod.ts";
import { startGateway } from "../../gateway/mod.ts";
import { createCa, MemoryStore } from "../../store/mod.ts";
import { paperFunctions } from "./functions.ts";
import { serveLines } from "./json_lines.ts";

/** How the bench configures this process (QFAAS_BENCH_GATEWAY, JSON). */
export interface GatewayNodeConfig {
  /** This host's address. */
  hostname: string;
  /** Where workers run: command prefix and address; null for loopback here. */
  workers: { prefix: string[]; address: string } | null;
}

/** The line this process prints when it serves. */
export interface GatewayNodeReady {
  /** The gateway's HTTP/1.1 base URL. */
  http: string;
  /** The gateway's HTTPS base URL. */
  https: string;
  /** The CA its certificates chain to (PEM). */
  ca: string;
}

/** A control message: replace the function's workers, so that the next request spawns one. */
export interface Recycle {
  op: "recycle";
  name: string;
}

async function main(config: GatewayNodeConfig): Promise<void> {
  const ca = await createCa("QFaaS paper bench CA");
  const gateway = await startGateway({
    functions: [],
    ca,
    store: new MemoryStore(),
    listen: { hostname: config.hostname, httpPort: 0, httpsPort: 0 },
    placement: config.workers ?? undefined,
    onWorkerLog: (line) => {
      if (line.stream === "stderr") console.error(`[${line.worker}] ${line.text}`);
    },
  });
  const http = `http://${config.hostname}:${new URL(gateway.http!).port}`;
  const https = `https://${config.hostname}:${new URL(gateway.https!).port}`;
  for (const fn of paperFunctions(TRANSPORTS, { http, https })) gateway.invoker.register(fn);
  const ready: GatewayNodeReady = { http, https, ca: ca.cert };
  console.log(JSON.stringify(ready));

  await serveLines(async (command: Recycle) => {
    if (command.op !== "recycle" || !command.name) {
      return { ok: false, error: `unknown command ${JSON.stringify(command)}` };
    }
    // A new pool: the next request spawns a new worker; the old one drains and stops.
    const fn = gateway.invoker.function(command.name);
    if (!fn) return { ok: false, error: `no function ${command.name}` };
    await gateway.invoker.replace(fn);
    return { ok: true };
  });
  await gateway.shutdown();
}

if (import.meta.main) await main(JSON.parse(Deno.env.get("QFAAS_BENCH_GATEWAY") ?? "{}"));
