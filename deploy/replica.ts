/**
 * `qfaas replica NAME DIR`: one replica of a function in a pod (issue 16).
 * The same worker `qfaas dev` runs (the watchdog, its containment, a grant of
 * the function's directory only), started the same way, but with the
 * identity all the function's replicas share, read from the mounted Secret,
 * on a fixed port, and admitting 0-RTT only with nonces bound to this
 * replica's own addresses. It answers the kubelet's probes on `/healthz`
 * while the worker is up, and exits with the worker, so the container
 * restarts.
 *
 * @module
 */
import { join } from "node:path";
import { discoverFunctions } from "../config/mod.ts";
import { GATEWAY_ENV } from "../chain/mod.ts";
import { H3Client, nonceTarget } from "../h3/mod.ts";
import { PrepareError, prepareFunction, spawnWorker, type WorkerProcess } from "../invoker/mod.ts";
import { MemoryStore } from "../store/mod.ts";
import { FILES, INSTANCE_HEADER, MOUNTS, PORTS, REPLICA_ENV } from "./contract.ts";

/** Options of `startReplica`. */
export interface ReplicaOptions {
  /** The function's name. */
  name: string;
  /** The functions directory. */
  functions: string;
  /** The mounted identity (tls.crt, tls.key, ticket.key). Default /var/run/qfaas/identity. */
  identity?: string;
  /** The CA certificate file. Default /var/run/qfaas/ca/ca.crt. */
  caFile?: string;
  /** Address to bind the function's and the probes' ports. Default 0.0.0.0. */
  hostname?: string;
  /** The function's port. Default 8443; 0: a free one. */
  port?: number;
  /** The probes' port (TCP). Default 8081. */
  healthPort?: number;
  /**
   * The gateway's internal origin, for the function's calls to other
   * functions (default: $QFAAS_GATEWAY_INTERNAL; none: it calls none).
   */
  gateway?: string;
  /**
   * Its addresses as the gateway dials them (`host:port`). Default:
   * `ownAddresses(port)`.
   */
  addresses?: readonly string[];
}

/** A running replica. */
export interface Replica {
  /** The worker serving the function. */
  worker: WorkerProcess;
  /** The probes' port. */
  healthPort: number;
  /** Resolves with the worker's exit code. */
  exited: Promise<number>;
  /** Stops the worker and the probes. */
  stop(): Promise<void>;
}

/**
 * This host's addresses with `port`, as nonces name them: its interfaces'
 * (but link-local ones) and loopback, which `Deno.networkInterfaces()` does
 * not always list.
 */
export function ownAddresses(port: number): string[] {
  const addresses = Deno.networkInterfaces()
    .filter((i) => !i.address.startsWith("fe80:"))
    .map((i) => i.address);
  return [...new Set(["127.0.0.1", "::1", ...addresses])].map((address) =>
    nonceTarget(address, port)
  );
}

/**
 * A session for the gateway's internal listener, from one full handshake made
 * now (as this function's identity, which it admits), so that the function's
 * first call to another function is 0-RTT. The gateway mints none for pods it
 * did not start. Null if the gateway cannot be reached now: that first call
 * then makes the handshake itself.
 */
async function gatewaySession(
  url: string,
  ca: string,
  identity: { cert: string; key: string },
): Promise<Uint8Array | null> {
  let session: Uint8Array | null = null;
  const client = new H3Client({
    ca,
    identity,
    sessions: { get: () => undefined, set: (_origin, ticket) => (session = ticket) },
    handshakeTimeoutMs: 2000,
  });
  try {
    const { response } = await client.request(`${url}/healthz`);
    await response.body?.cancel();
    // The ticket comes with the handshake's last flight; give it a moment if it is not here.
    for (let i = 0; i < 20 && !session; i++) await new Promise((r) => setTimeout(r, 10));
  } catch (error) {
    console.error(JSON.stringify({
      level: "warn",
      warning: `cannot reach the gateway at ${url} now: calls to other functions start 1-RTT`,
      error: (error as Error).message,
    }));
  } finally {
    await client.close();
  }
  return session;
}

/** A UDP port free on `hostname` now (bound, then released). */
function freeUdpPort(hostname: string): number {
  const socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

async function readIdentity(dir: string) {
  const read = (file: string) => Deno.readFile(join(dir, file));
  try {
    const [cert, key, ticketKey] = await Promise.all([
      read(FILES.cert),
      read(FILES.key),
      read(FILES.ticketKey),
    ]);
    const text = new TextDecoder();
    return { cert: text.decode(cert), key: text.decode(key), ticketKey }; // the worker checks its length
  } catch (error) {
    throw new Error(`Cannot read the replica's identity in ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Starts the replica: prepares the function (from the image's cache), starts its worker and the probes. */
export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const { functions, problems } = await discoverFunctions(options.functions);
  const found = functions.find((f) => f.fn.name === options.name);
  if (!found) {
    const problem = problems.find((p) => p.function === options.name);
    throw new Error(
      problem
        ? `Cannot run function ${options.name}: ${problem.message}`
        : `Cannot run function ${options.name}: ${options.functions} has no such function (it has ${
          functions.map((f) => f.fn.name).join(", ") || "none"
        })`,
    );
  }
  let fn = found.fn;
  if (fn.module) {
    try {
      fn = { ...fn, prepared: (await prepareFunction(fn)).config };
    } catch (error) {
      if (error instanceof PrepareError) throw new Error(`${error.message}\n${error.detail}`);
      throw error;
    }
  }
  const identity = await readIdentity(options.identity ?? MOUNTS.identity);
  const caCert = await Deno.readTextFile(options.caFile ?? join(MOUNTS.ca, FILES.ca));
  const hostname = options.hostname ?? "0.0.0.0";
  // 0: a free port, chosen here, since its addresses name it before the worker binds it.
  const port = options.port === 0 ? freeUdpPort(hostname) : options.port ?? PORTS.replica;
  const gateway = options.gateway ?? Deno.env.get(REPLICA_ENV.gateway);
  const session = gateway ? await gatewaySession(gateway, caCert, identity) : null;
  const worker = await spawnWorker(fn, { cert: caCert }, new MemoryStore(), {
    replica: { identity, hostname, port, addresses: options.addresses ?? ownAddresses(port) },
    ...(gateway
      ? {
        gateway: { url: gateway, session: () => session },
        env: { [GATEWAY_ENV.url]: gateway, gateway_url: gateway },
      }
      : {}),
  });
  // Which process answers: the gateway drops its connections to one restarted in place.
  const instance = crypto.randomUUID();
  const health = Deno.serve({
    hostname,
    port: options.healthPort ?? PORTS.health,
    onListen: () => {},
  }, (request) => {
    if (new URL(request.url).pathname !== "/healthz") {
      return new Response("not found\n", { status: 404 });
    }
    return new Response(`${worker.name} serves ${fn.name} on ${port}\n`, {
      headers: { [INSTANCE_HEADER]: instance },
    });
  });
  const exited = worker.exited.finally(() => health.shutdown());
  return {
    worker,
    healthPort: health.addr.port,
    exited,
    async stop() {
      await worker.stop();
      await health.shutdown();
    },
  };
}
