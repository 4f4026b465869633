/**
 * `qfaas deploy`'s Kubernetes objects for a functions directory (issue 16),
 * faas-netes' shapes where it has one: per function a Deployment (replicas
 * from `min`, at least 1; memory from `memory`; a readiness probe), a
 * Service, a Secret with its identity (and one with its environment), and an
 * HPA up to `max`; the gateway's Deployment, Service (TCP 8080, TCP+UDP 8443)
 * and configuration. Scale from zero is not rendered: a cluster keeps at
 * least one replica of every function.
 *
 * A function's Service is headless: the gateway resolves its ready replicas
 * and picks one per connection, as faas-netes' endpoint resolver does, rather
 * than letting kube-proxy pick per UDP flow. Every replica would accept the
 * 0-RTT session either way (they share the function's ticket key), but only a
 * gateway that knows which replica it dialed can bind a request's nonce to
 * it, so that a flight replayed to another replica is refused (docs/deploy.md).
 *
 * @module
 */
import type { DiscoveredFunction } from "../config/mod.ts";
import { DEFAULTS } from "../config/mod.ts";
import {
  type ClusterConfig,
  type ClusterFunctionIdentity,
  FILES,
  FUNCTION_LABEL,
  GATEWAY_NAME,
  GENERATION_ANNOTATION,
  IMAGE_PATHS,
  MOUNTS,
  PORTS,
  REPLICA_ENV,
  serviceName,
} from "./contract.ts";
import { type DeployIdentities, serviceDnsNames } from "./identities.ts";

/** A Kubernetes object as rendered: plain JSON. */
export interface KubeObject {
  /** Group and version, e.g. `apps/v1`. */
  apiVersion: string;
  /** Deployment, Service, Secret, ConfigMap or HorizontalPodAutoscaler. */
  kind: string;
  /** Name, namespace, labels. */
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  /** `spec`, `data`, `type`: as the kind's schema says. */
  [field: string]: unknown;
}

/** What `renderManifests` needs beyond the functions. */
export interface RenderOptions {
  /** The namespace of every object. */
  namespace: string;
  /** The image the gateway and every replica run (`qfaas image`). */
  image: string;
  /** The identities (identities.ts). */
  identities: DeployIdentities;
  /** Pull policy; default IfNotPresent (an image built on the node). */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

/** Memory a replica needs beyond its function's heap: the runtime and the watchdog (MiB). */
export const RUNTIME_MEMORY_MIB = 128;

const PART_OF = { "app.kubernetes.io/part-of": "qfaas" };

const text = (value: string) => new TextEncoder().encode(value).toBase64();

/** The Service names of `functions`, checked to be distinct and not the gateway's. */
export function serviceNames(functions: readonly DiscoveredFunction[]): Record<string, string> {
  const names: Record<string, string> = {};
  const taken = new Map<string, string>([[GATEWAY_NAME, "the gateway"]]);
  for (const { fn } of functions) {
    const service = serviceName(fn.name);
    const other = taken.get(service);
    if (other) {
      throw new Error(
        `Cannot deploy function "${fn.name}": its Service would be named "${service}", as ${other}'s is`,
      );
    }
    taken.set(service, `function "${fn.name}"`);
    names[fn.name] = service;
  }
  return names;
}

/** Every object of the deployment, gateway first. */
export function renderManifests(
  functions: readonly DiscoveredFunction[],
  options: RenderOptions,
): KubeObject[] {
  const services = serviceNames(functions);
  const { namespace, identities } = options;
  const meta = (name: string, labels: Record<string, string> = {}) => ({
    name,
    namespace,
    labels: { ...PART_OF, ...labels },
  });
  const cluster: ClusterConfig = {
    namespace,
    functions: Object.fromEntries(
      functions.map(({ fn }) => [fn.name, {
        host: serviceDnsNames(services[fn.name], namespace)[3],
        port: PORTS.replica,
      }]),
    ),
  };
  const gatewayFunctions: Record<string, ClusterFunctionIdentity> = Object.fromEntries(
    Object.entries(identities.functions).filter(([name]) => name in services).map((
      [name, identity],
    ) => [name, {
      cert: identity.cert,
      key: identity.key,
      ticketKey: identity.ticketKey.toBase64(),
    }]),
  );
  const objects: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace, labels: { ...PART_OF } },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta("qfaas-ca"),
      data: { [FILES.ca]: identities.caCert },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(GATEWAY_NAME),
      data: { [FILES.cluster]: JSON.stringify(cluster, null, 2) + "\n" },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(GATEWAY_NAME),
      type: "Opaque",
      data: {
        [FILES.cert]: text(identities.gateway.server.cert),
        [FILES.key]: text(identities.gateway.server.key),
        [FILES.invokerCert]: text(identities.gateway.invoker.cert),
        [FILES.invokerKey]: text(identities.gateway.invoker.key),
        [FILES.functions]: text(JSON.stringify(gatewayFunctions)),
      },
    },
    gatewayDeployment(options, meta),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(GATEWAY_NAME),
      spec: {
        selector: { "app.kubernetes.io/name": GATEWAY_NAME },
        // Mixed protocols on one Service: GA since Kubernetes 1.26.
        ports: [
          { name: "http", port: PORTS.gatewayHttp, targetPort: PORTS.gatewayHttp, protocol: "TCP" },
          { name: "https", port: PORTS.gatewayTls, targetPort: PORTS.gatewayTls, protocol: "TCP" },
          { name: "h3", port: PORTS.gatewayTls, targetPort: PORTS.gatewayTls, protocol: "UDP" },
          {
            name: "internal",
            port: PORTS.gatewayInternal,
            targetPort: PORTS.gatewayInternal,
            protocol: "UDP",
          },
        ],
      },
    },
  ];
  for (const discovered of functions) {
    objects.push(...functionObjects(discovered, services[discovered.fn.name], options, meta));
  }
  return objects;
}

type Meta = (name: string, labels?: Record<string, string>) => KubeObject["metadata"];

function securityContext() {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
  };
}

/** A volume mounted read-only from a Secret or a ConfigMap. */
interface Mount {
  name: string;
  path: string;
  secret?: string;
  configMap?: string;
}

/**
 * A Deployment of the qfaas image running `pod.container` (its name,
 * command, env, ports, probes, resources), with `pod.mounts` plus the CA and
 * a /tmp of its own, as the non-root user, labelled with the identities'
 * generation (a rotation rolls it).
 */
function deployment(
  name: string,
  labels: Record<string, string>,
  replicas: number,
  options: RenderOptions,
  meta: Meta,
  pod: { container: Record<string, unknown>; mounts: Mount[] },
): KubeObject {
  const mounts: Mount[] = [...pod.mounts, { name: "ca", path: MOUNTS.ca, configMap: "qfaas-ca" }];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(name, labels),
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels: { ...PART_OF, ...labels },
          annotations: { [GENERATION_ANNOTATION]: options.identities.generation },
        },
        spec: {
          containers: [{
            image: options.image,
            imagePullPolicy: options.imagePullPolicy ?? "IfNotPresent",
            ...pod.container,
            securityContext: securityContext(),
            volumeMounts: [
              ...mounts.map((m) => ({ name: m.name, mountPath: m.path, readOnly: true })),
              { name: "tmp", mountPath: "/tmp" },
            ],
          }],
          volumes: [
            ...mounts.map((m) =>
              m.secret
                ? { name: m.name, secret: { secretName: m.secret, defaultMode: 0o400 } }
                : { name: m.name, configMap: { name: m.configMap } }
            ),
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  };
}

function qfaas(...args: string[]): string[] {
  // --cached-only: the image holds every module; a pod never reaches for a registry.
  return [IMAGE_PATHS.deno, "run", "-A", "--cached-only", `${IMAGE_PATHS.qfaas}/main.ts`, ...args];
}

function gatewayDeployment(options: RenderOptions, meta: Meta): KubeObject {
  const labels = { "app.kubernetes.io/name": GATEWAY_NAME };
  return deployment(GATEWAY_NAME, labels, 1, options, meta, {
    container: {
      name: "gateway",
      command: qfaas("gateway", IMAGE_PATHS.functions, "--cluster", MOUNTS.cluster),
      env: [{ name: "DENO_DIR", value: IMAGE_PATHS.denoDir }],
      ports: [
        { name: "http", containerPort: PORTS.gatewayHttp, protocol: "TCP" },
        { name: "https", containerPort: PORTS.gatewayTls, protocol: "TCP" },
        { name: "h3", containerPort: PORTS.gatewayTls, protocol: "UDP" },
        { name: "internal", containerPort: PORTS.gatewayInternal, protocol: "UDP" },
      ],
      readinessProbe: {
        httpGet: { path: "/healthz", port: PORTS.gatewayHttp },
        periodSeconds: 2,
      },
      resources: { requests: { memory: "128Mi", cpu: "100m" }, limits: { memory: "512Mi" } },
    },
    mounts: [
      { name: "gateway", path: MOUNTS.gateway, secret: GATEWAY_NAME },
      { name: "cluster", path: MOUNTS.cluster, configMap: GATEWAY_NAME },
    ],
  });
}

function functionObjects(
  { fn }: DiscoveredFunction,
  service: string,
  options: RenderOptions,
  meta: Meta,
): KubeObject[] {
  const identity = options.identities.functions[fn.name];
  if (!identity) throw new Error(`Cannot deploy function "${fn.name}": it has no identity`);
  const labels = { [FUNCTION_LABEL]: fn.name };
  const transport = fn.transport ?? "h3";
  const protocol = transport === "h3" ? "UDP" : "TCP";
  const memory = (fn.memoryMiB ?? DEFAULTS.memoryMiB) + RUNTIME_MEMORY_MIB;
  const replicas = Math.max(1, fn.min ?? 0);
  const env = fn.env ?? {};
  const objects: KubeObject[] = [{
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(service, labels),
    type: "Opaque",
    data: {
      [FILES.cert]: text(identity.cert),
      [FILES.key]: text(identity.key),
      [FILES.ticketKey]: identity.ticketKey.toBase64(),
    },
  }];
  if (Object.keys(env).length > 0) {
    objects.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(`${service}-env`, labels),
      type: "Opaque",
      data: Object.fromEntries(Object.entries(env).map(([key, value]) => [key, text(value)])),
    });
  }
  objects.push(deployment(service, labels, replicas, options, meta, {
    container: {
      name: "function",
      command: qfaas("replica", fn.name, IMAGE_PATHS.functions),
      env: [
        { name: "DENO_DIR", value: IMAGE_PATHS.denoDir },
        {
          name: REPLICA_ENV.gateway,
          value: `https://${
            serviceDnsNames(GATEWAY_NAME, options.namespace)[3]
          }:${PORTS.gatewayInternal}`,
        },
      ],
      ...(Object.keys(env).length > 0
        ? { envFrom: [{ secretRef: { name: `${service}-env` } }] }
        : {}),
      ports: [
        { name: transport, containerPort: PORTS.replica, protocol },
        { name: "health", containerPort: PORTS.health, protocol: "TCP" },
      ],
      readinessProbe: { httpGet: { path: "/healthz", port: PORTS.health }, periodSeconds: 2 },
      livenessProbe: {
        httpGet: { path: "/healthz", port: PORTS.health },
        periodSeconds: 10,
        failureThreshold: 3,
      },
      resources: {
        requests: { memory: `${memory}Mi`, cpu: "50m" },
        limits: { memory: `${memory}Mi` },
      },
    },
    mounts: [{ name: "identity", path: MOUNTS.identity, secret: service }],
  }));
  objects.push({
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(service, labels),
    spec: {
      clusterIP: "None", // headless: the gateway picks the replica (see the module doc)
      selector: labels,
      ports: [
        { name: transport, port: PORTS.replica, targetPort: PORTS.replica, protocol },
        { name: "health", port: PORTS.health, targetPort: PORTS.health, protocol: "TCP" },
      ],
    },
  });
  const max = fn.max ?? DEFAULTS.max;
  if (max > replicas) {
    objects.push({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta(service, labels),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service },
        minReplicas: replicas,
        maxReplicas: max,
        metrics: [{
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
        }],
      },
    });
  }
  return objects;
}
