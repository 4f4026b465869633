/**
 * `qfaas gateway DIR --cluster CONFIG`: the gateway in a cluster (issue 16).
 * The same gateway as `qfaas dev` (the API, the listeners, the HTTP/3 client,
 * the metrics), but it starts no worker: it finds each function's replicas
 * (the A records of its headless Service, or fixed addresses) and offers
 * every one of them the session it minted for the function's shared identity
 * at start, so that the first request to any replica, a new pod included,
 * travels in 0-RTT. Nonces are bound to the replica dialed.
 *
 * @module
 */
import { join } from "node:path";
import { discoverFunctions } from "../config/mod.ts";
import { type Gateway, startGateway } from "../gateway/mod.ts";
import type { ReplicaAddress } from "../invoker/mod.ts";
import { ROLE_EKU } from "../pki/mod.ts";
import { mintSession } from "../quic/mod.ts";
import { MemoryStore } from "../store/mod.ts";
import {
  type ClusterConfig,
  type ClusterFunctionIdentity,
  FILES,
  INSTANCE_HEADER,
  MOUNTS,
  PORTS,
} from "./contract.ts";

/** Options of `startClusterGateway`. */
export interface ClusterGatewayOptions {
  /** The functions directory (their settings: timeouts, limits, transport). */
  functions: string;
  /** The directory holding cluster.json. Default /etc/qfaas. */
  config?: string;
  /** The gateway's Secret (certificates, keys, the functions' identities). Default /var/run/qfaas/gateway. */
  secrets?: string;
  /** The CA certificate. Default /var/run/qfaas/ca/ca.crt. */
  caFile?: string;
  /** Address to bind. Default 0.0.0.0. */
  hostname?: string;
  /** HTTP/1.1 port. Default 8080. */
  httpPort?: number;
  /** HTTPS and HTTP/3 port. Default 8443. */
  httpsPort?: number;
  /** The internal listener's port (UDP), which replicas call functions through. Default 8444. */
  internalPort?: number;
}

/** The replicas DNS lists for `host` now (A and AAAA), at `port`. */
async function resolveReplicas(host: string, port: number): Promise<ReplicaAddress[]> {
  const lookup = async (type: "A" | "AAAA") => {
    try {
      return await Deno.resolveDns(host, type);
    } catch (error) {
      // No such name (no ready pod yet), or no record of this type: none.
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
  };
  const [v4, v6] = await Promise.all([lookup("A"), lookup("AAAA")]);
  return [...v4, ...v6].map((address) => ({ address, port, healthPort: PORTS.health }));
}

/** Whether `replica` answers its health endpoint within a second: the instance answering, or null. */
async function alive(_name: string, replica: ReplicaAddress): Promise<string | null> {
  if (replica.healthPort === undefined) return "";
  const host = replica.address.includes(":") ? `[${replica.address}]` : replica.address;
  try {
    const response = await fetch(`http://${host}:${replica.healthPort}/healthz`, {
      signal: AbortSignal.timeout(1000),
    });
    await response.body?.cancel();
    return response.ok ? response.headers.get(INSTANCE_HEADER) ?? "" : null;
  } catch (error) {
    // Refused, reset or timed out: not alive now. Anything else is ours to report.
    if (error instanceof TypeError || (error as Error).name === "TimeoutError") return null;
    throw error;
  }
}

/** Starts the gateway of a cluster from its mounted configuration. */
export async function startClusterGateway(options: ClusterGatewayOptions): Promise<Gateway> {
  const config = JSON.parse(
    await Deno.readTextFile(join(options.config ?? MOUNTS.cluster, FILES.cluster)),
  ) as ClusterConfig;
  const secrets = options.secrets ?? MOUNTS.gateway;
  const read = (file: string) => Deno.readTextFile(join(secrets, file));
  const [cert, key, invokerCert, invokerKey, held, caCert] = await Promise.all([
    read(FILES.cert),
    read(FILES.key),
    read(FILES.invokerCert),
    read(FILES.invokerKey),
    read(FILES.functions),
    Deno.readTextFile(options.caFile ?? join(MOUNTS.ca, FILES.ca)),
  ]);
  const identities = JSON.parse(held) as Record<string, ClusterFunctionIdentity>;
  const invoker = { cert: invokerCert, key: invokerKey };
  const { functions, problems } = await discoverFunctions(options.functions);
  for (const problem of problems) console.error(`! ${problem.message}`);
  const served = functions.filter(({ fn }) => fn.name in config.functions && fn.name in identities);
  // One session per function, minted now from its shared identity: every replica accepts it.
  const sessions = new Map(served.map(({ fn }) => {
    const identity = identities[fn.name];
    return [
      fn.name,
      mintSession({
        server: {
          cert: identity.cert,
          key: identity.key,
          ticketKey: Uint8Array.fromBase64(identity.ticketKey),
          clientAuth: { ca: caCert, extKeyUsage: ROLE_EKU.invoker },
        },
        ca: caCert,
        serverName: config.functions[fn.name].host,
        alpn: ["h3"],
        identity: invoker,
      }),
    ];
  }));
  return await startGateway({
    functions: served.map(({ fn }) => fn),
    ca: { cert: caCert },
    certificate: { cert, key },
    identity: invoker,
    store: new MemoryStore(),
    listen: {
      hostname: options.hostname ?? "0.0.0.0",
      httpPort: options.httpPort ?? PORTS.gatewayHttp,
      httpsPort: options.httpsPort ?? PORTS.gatewayTls,
    },
    internalListen: {
      hostname: options.hostname ?? "0.0.0.0",
      port: options.internalPort ?? PORTS.gatewayInternal,
    },
    replicas: {
      find: (name) => {
        const where = config.functions[name];
        return where.replicas
          ? Promise.resolve(where.replicas)
          : resolveReplicas(where.host, where.port);
      },
      alive,
      serverName: (name) => config.functions[name].host,
      session: (name) => sessions.get(name)!,
    },
  });
}
