/**
 * What the rendered manifests, the image and the processes in the pods agree
 * on (issue 16): where things are inside the image, ports, mount points,
 * file names, labels. Defined once here for all of them.
 *
 * @module
 */

/** Paths inside the qfaas image. */
export const IMAGE_PATHS = {
  /** qfaas's sources; `main.ts` is the program. */
  qfaas: "/app/qfaas",
  /** The functions directory, as `qfaas deploy` read it (no `.secrets`). */
  functions: "/app/functions",
  /** DENO_DIR with every function's dependencies, prepared at build time. */
  denoDir: "/app/cache",
  /** The Deno binary. */
  deno: "/usr/local/bin/deno",
} as const;

/** Where the pods find their identities (mounted Secrets and ConfigMaps). */
export const MOUNTS = {
  /** A function replica's identity: its Secret. */
  identity: "/var/run/qfaas/identity",
  /** The cluster CA's certificate: a ConfigMap. */
  ca: "/var/run/qfaas/ca",
  /** The gateway's identities and its functions' (it mints their sessions). */
  gateway: "/var/run/qfaas/gateway",
  /** The gateway's configuration: where each function's replicas are. */
  cluster: "/etc/qfaas",
} as const;

/** File names inside the mounts. */
export const FILES = {
  /** PEM certificate (a Secret's `tls.crt`, as kubernetes.io/tls names it). */
  cert: "tls.crt",
  /** PEM private key. */
  key: "tls.key",
  /** The 48-byte session ticket key, raw. */
  ticketKey: "ticket.key",
  /** The CA certificate, PEM. */
  ca: "ca.crt",
  /** The gateway invoker's client certificate. */
  invokerCert: "invoker.crt",
  /** Its key. */
  invokerKey: "invoker.key",
  /** The functions' identities as the gateway holds them (JSON, `ClusterFunctionIdentity` per name). */
  functions: "functions.json",
  /** The gateway's cluster configuration (JSON, `ClusterConfig`). */
  cluster: "cluster.json",
} as const;

/** Ports. A function replica listens on `replica` (UDP for h3, else TCP) and answers probes on `health`. */
export const PORTS = {
  /** A replica's function port (the watchdog's). */
  replica: 8443,
  /** A replica's readiness and liveness (HTTP, TCP). */
  health: 8081,
  /** The gateway's HTTP/1.1. */
  gatewayHttp: 8080,
  /** The gateway's HTTPS (TCP) and HTTP/3 (UDP), one number. */
  gatewayTls: 8443,
  /** The gateway's internal HTTP/3 listener (UDP): functions calling functions; workers only. */
  gatewayInternal: 8444,
} as const;

/** The environment a replica's pod gets. */
export const REPLICA_ENV = {
  /** The gateway's internal origin, e.g. https://qfaas-gateway.qfaas.svc.cluster.local:8444. */
  gateway: "QFAAS_GATEWAY_INTERNAL",
} as const;

/** The label faas-netes selects a function's pods by; we use the same. */
export const FUNCTION_LABEL = "faas_function";

/** Pod template annotation naming the identities' generation: a rotation changes it, and so rolls the pods. */
export const GENERATION_ANNOTATION = "qfaas.dev/identity-generation";

/** The header of a replica's `/healthz` answer naming the process (new at every start). */
export const INSTANCE_HEADER = "x-qfaas-instance";

/** The names of the gateway's objects. */
export const GATEWAY_NAME = "qfaas-gateway";

/** A function's identity in the gateway's `functions.json`. */
export interface ClusterFunctionIdentity {
  /** PEM certificate shared by the function's replicas. */
  cert: string;
  /** Its PEM key. */
  key: string;
  /** Their ticket key, base64. */
  ticketKey: string;
}

/** The gateway's cluster configuration (`cluster.json`). */
export interface ClusterConfig {
  /** The namespace everything runs in. */
  namespace: string;
  /**
   * Per function: the DNS name whose A records are its ready replicas (a
   * headless Service; also the name its certificate covers) and their port
   * (their probes answer on `PORTS.health`); or, where no DNS lists them
   * (engines without Services, several replicas on one host), each replica's
   * fixed address, port and health port.
   */
  functions: Record<string, {
    host: string;
    port: number;
    replicas?: { address: string; port: number; healthPort: number }[];
  }>;
}

/** The Service (and Deployment) name of function `name`: a DNS-1035 label (a letter first). */
export function serviceName(name: string): string {
  return /^[a-z]/.test(name) ? name : `fn-${name}`.slice(0, 63).replace(/-+$/, "");
}
