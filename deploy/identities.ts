/**
 * Identities of a deployment to a cluster (issue 16), kept between renders in
 * a state directory outside the functions' grant (default
 * `<functions>/.secrets/deploy`): the cluster CA, whose key never leaves it;
 * one identity per function, shared by all its replicas (a certificate for its
 * Service's DNS names and one ticket key, so that a session the gateway mints
 * once is accepted in 0-RTT by every replica, new pods included); and the
 * gateway's (its ingress certificate and its invoker's client certificate).
 *
 * Rendering again reuses what the state holds, so `qfaas deploy` is
 * repeatable; `rotate` issues everything but the CA anew (the Deployments
 * roll, since their pod templates name the identities' serial).
 *
 * @module
 */
import { join } from "node:path";
import { type CertifiedKey, devCa, INVOKER_NAME, issueLeaf } from "../pki/mod.ts";
import { TICKET_KEY_LENGTH } from "../quic/mod.ts";

/** A function's identity, the same in every replica. */
export interface FunctionIdentity extends CertifiedKey {
  /** The session ticket key of all its replicas (48 bytes). */
  ticketKey: Uint8Array;
}

/** The gateway's identity. */
export interface GatewayIdentity {
  /** Its ingress certificate (HTTPS, HTTP/3) and internal listener's. */
  server: CertifiedKey;
  /** Its invoker's client certificate (role invoker): the only one replicas admit. */
  invoker: CertifiedKey;
}

/** What a deployment's state holds. */
export interface DeployIdentities {
  /** The cluster CA's certificate (public; its key stays in the state directory). */
  caCert: string;
  /** Changes with every rotation; pod templates carry it, so a rotation rolls them. */
  generation: string;
  /** The gateway's identity. */
  gateway: GatewayIdentity;
  /** Per function name. */
  functions: Record<string, FunctionIdentity>;
}

/** Where replicas and the gateway are found: names their certificates must cover. */
export interface DeployNames {
  /** The Kubernetes namespace. */
  namespace: string;
  /** The gateway's Service name. */
  gateway: string;
  /** Function name → its Service name. */
  services: Record<string, string>;
}

/** The DNS names a Service `name` in `namespace` answers to inside the cluster. */
export function serviceDnsNames(name: string, namespace: string): string[] {
  return [
    name,
    `${name}.${namespace}`,
    `${name}.${namespace}.svc`,
    `${name}.${namespace}.svc.cluster.local`,
  ];
}

interface Stored {
  generation: string;
  /** Names the identities were issued for: a function whose names changed is issued anew. */
  names: DeployNames;
  gateway: GatewayIdentity;
  functions: Record<string, CertifiedKey & { ticketKey: string }>;
}

const STATE_FILE = "identities.json";

/**
 * The identities for `names`, from `state` where it has them, else issued
 * under the cluster CA (made on first use in `state/ca`); saved back (mode
 * 600). `rotate`: issue every identity anew.
 */
export async function deployIdentities(
  state: string,
  names: DeployNames,
  options: { rotate?: boolean } = {},
): Promise<DeployIdentities> {
  await Deno.mkdir(state, { recursive: true, mode: 0o700 });
  const ca = await devCa(join(state, "ca"), "QFaaS cluster CA");
  const file = join(state, STATE_FILE);
  let stored: Stored | null = null;
  if (!options.rotate) {
    try {
      stored = JSON.parse(await Deno.readTextFile(file)) as Stored;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw new Error(
          `Cannot read the deployment's identities ${file}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
  }
  const sameNamespace = stored?.names.namespace === names.namespace;
  const gateway = stored && sameNamespace && stored.names.gateway === names.gateway
    ? stored.gateway
    : {
      server: await issueLeaf(ca, {
        commonName: names.gateway,
        dnsNames: [...serviceDnsNames(names.gateway, names.namespace), "localhost"],
        ipAddresses: ["127.0.0.1", "::1"],
        role: "worker", // it serves; its internal listener is called by workers
      }),
      invoker: await issueLeaf(ca, { commonName: INVOKER_NAME, role: "invoker" }),
    };
  const functions: Stored["functions"] = {};
  for (const [name, service] of Object.entries(names.services)) {
    const kept = stored?.functions[name];
    if (kept && sameNamespace && stored?.names.services[name] === service) {
      functions[name] = kept;
      continue;
    }
    const leaf = await issueLeaf(ca, {
      commonName: service,
      dnsNames: [...serviceDnsNames(service, names.namespace), "localhost"],
      ipAddresses: ["127.0.0.1", "::1"],
      role: "worker",
    });
    const ticketKey = crypto.getRandomValues(new Uint8Array(TICKET_KEY_LENGTH));
    functions[name] = { ...leaf, ticketKey: ticketKey.toBase64() };
  }
  const changed = !stored || JSON.stringify(stored.functions) !== JSON.stringify(functions) ||
    stored.gateway !== gateway;
  const generation = changed ? crypto.randomUUID().slice(0, 8) : stored!.generation;
  const next: Stored = { generation, names, gateway, functions };
  const temporary = `${file}.${crypto.randomUUID()}`;
  await Deno.writeTextFile(temporary, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(temporary, file);
  return {
    caCert: ca.cert,
    generation,
    gateway,
    functions: Object.fromEntries(
      Object.entries(functions).map((
        [name, { ticketKey, ...leaf }],
      ) => [name, { ...leaf, ticketKey: Uint8Array.fromBase64(ticketKey) }]),
    ),
  };
}
