/**
 * The rendered manifests as podman's `kube play` can run them on one machine
 * (`qfaas deploy --target podman`). podman 4.3 (Debian 12) plays Deployments
 * and ConfigMaps but not the rest, as measured (docs/deploy.md):
 * - a Secret mounted as a volume crashes it (nil pointer), and `envFrom` a
 *   Secret is refused: identities become files under `<out>/secrets/`,
 *   mounted with hostPath, and a function's environment is inlined (the
 *   ConfigMaps too, under `<out>/config/`: each play would make its own
 *   volume of the same name);
 * - Services are ignored: a function's replicas share a network alias (one
 *   `kube play --network NET:alias=<service>` per function), which resolves
 *   to all of them, so the gateway finds them by the Service's short name
 *   (its certificate covers it);
 * - every `containerPort` is published on the host (the second replica's
 *   clashes) and probes need a shell: both are left out (the gateway probes
 *   replicas itself).
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { type ClusterConfig, FILES, GATEWAY_NAME, REPLICA_ENV } from "./contract.ts";
import type { KubeObject } from "./manifests.ts";

/**
 * Writes each volume's files under `dir` (mode 700: it holds keys), as the
 * kubelet would mount them: readable by the pods' user.
 */
async function writeVolumes(
  dir: string,
  volumes: Map<string, Record<string, Uint8Array>>,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  for (const [name, files] of volumes) {
    const volume = join(dir, name);
    await Deno.mkdir(volume, { recursive: true });
    await Deno.chmod(volume, 0o755);
    for (const [key, bytes] of Object.entries(files)) {
      const file = join(volume, key);
      await Deno.writeFile(file, bytes, { mode: 0o444 });
      await Deno.chmod(file, 0o444);
    }
  }
  return dir;
}

/** One `kube play` of the podman target. */
export interface PodmanPlay {
  /** The YAML file. */
  file: string;
  /** The network alias its pods share: the Service name (a function's, or the gateway's). */
  alias: string;
}

type Json = Record<string, unknown>;
type Container = Json & { env?: Json[]; envFrom?: { secretRef?: { name: string } }[] };
type PodSpec = { containers: Container[]; volumes?: Json[] };

function podSpec(deployment: KubeObject): PodSpec {
  return ((deployment.spec as Json).template as Json).spec as PodSpec;
}

/**
 * Writes the podman form of `objects` under `out`: one YAML file per play
 * (the gateway, then each function) and the Secrets' data as files. Returns
 * the plays in the order to run them.
 */
export async function writePodmanPlays(objects: KubeObject[], out: string): Promise<PodmanPlay[]> {
  const encoder = new TextEncoder();
  const secrets = new Map<string, Record<string, Uint8Array>>();
  const configMaps = new Map<string, Record<string, Uint8Array>>();
  for (const object of objects) {
    const data = object.data as Record<string, string>;
    if (object.kind === "Secret") {
      secrets.set(
        object.metadata.name,
        Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Uint8Array.fromBase64(v)])),
      );
    } else if (object.kind === "ConfigMap") {
      let entries = Object.entries(data);
      if (object.metadata.name === GATEWAY_NAME) {
        // Replicas are found by their alias, the Service's short name.
        const cluster = JSON.parse(data[FILES.cluster]) as ClusterConfig;
        for (const where of Object.values(cluster.functions)) where.host = where.host.split(".")[0];
        entries = [[FILES.cluster, JSON.stringify(cluster, null, 2) + "\n"]];
      }
      configMaps.set(
        object.metadata.name,
        Object.fromEntries(entries.map(([k, v]) => [k, encoder.encode(v)])),
      );
    }
  }
  const secretsDir = await writeVolumes(join(out, "secrets"), secrets);
  const configDir = await writeVolumes(join(out, "config"), configMaps);
  const plays: PodmanPlay[] = [];
  for (const deployment of objects.filter((o) => o.kind === "Deployment")) {
    const adapted = structuredClone(deployment);
    const spec = podSpec(adapted);
    for (const container of spec.containers) {
      // The gateway is found by its alias too: the short name its certificate covers.
      for (const variable of (container.env ?? []) as { name: string; value?: string }[]) {
        if (variable.name === REPLICA_ENV.gateway && variable.value) {
          const url = new URL(variable.value);
          url.hostname = url.hostname.split(".")[0];
          variable.value = url.origin;
        }
      }
      delete container.ports;
      delete container.readinessProbe;
      delete container.livenessProbe;
      for (const from of container.envFrom ?? []) {
        const data = from.secretRef ? secrets.get(from.secretRef.name) : undefined;
        if (!data) continue;
        container.env = [
          ...(container.env ?? []),
          ...Object.entries(data).map(([name, bytes]) => ({
            name,
            value: new TextDecoder().decode(bytes),
          })),
        ];
      }
      delete container.envFrom;
    }
    spec.volumes = (spec.volumes ?? []).map((volume) => {
      const secret = volume.secret as { secretName: string } | undefined;
      const configMap = volume.configMap as { name: string } | undefined;
      const path = secret
        ? join(secretsDir, secret.secretName)
        : configMap
        ? join(configDir, configMap.name)
        : null;
      return path ? { name: volume.name, hostPath: { path, type: "Directory" } } : volume;
    });
    const name = deployment.metadata.name;
    const file = join(out, `${name}.podman.yaml`);
    await Deno.writeTextFile(
      file,
      stringify(adapted, { lineWidth: 0 }),
      { mode: 0o600 },
    );
    plays.push({ file, alias: name });
  }
  // The gateway first: each replica gets its session for the gateway's internal listener
  // at start (replica.ts); the gateway finds replicas as they come.
  return [
    ...plays.filter((p) => p.alias === GATEWAY_NAME),
    ...plays.filter((p) => p.alias !== GATEWAY_NAME),
  ];
}
