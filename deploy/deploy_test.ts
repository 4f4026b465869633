// `qfaas deploy`'s manifests: rendered for the examples and Hello, Retail!,
// checked by the Kubernetes schemas, read back from the YAML written, and
// the identities kept across renders and rotated on demand.
import assert from "node:assert/strict";
import { join } from "node:path";
import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe
import * as x509 from "@peculiar/x509";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IService } from "kubernetes-models/v1/Service";
import { parseAllDocuments } from "yaml";
import {
  deploy,
  type DeployResult,
  FILES,
  GENERATION_ANNOTATION,
  type KubeObject,
  ManifestError,
  PORTS,
  RUNTIME_MEMORY_MIB,
  validateManifests,
} from "./mod.ts";

const EXAMPLES = new URL("../examples/functions", import.meta.url).pathname;
const HELLO_RETAIL = new URL("../examples/hello-retail", import.meta.url).pathname;

/** Runs `deploy` on `dir` into fresh temporary folders (state and out), removed afterwards. */
async function rendered(
  dir: string,
  use: (result: DeployResult, state: string) => Promise<void>,
): Promise<void> {
  const state = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    await use(await deploy(dir, { out, state }), state);
  } finally {
    await Deno.remove(state, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
}

/** The kinds rendered, as the Kubernetes API types them. */
interface Kinds {
  ConfigMap: IConfigMap;
  Deployment: IDeployment;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  Secret: ISecret;
  Service: IService;
}

function find<K extends keyof Kinds>(objects: KubeObject[], kind: K, name: string): Kinds[K] {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(object, `${kind}/${name} is rendered`);
  return object as unknown as Kinds[K];
}

/** Writes a function "greet" into `dir`, configured by `config` (its qfaas.json). */
async function greetFunction(dir: string, config: Record<string, unknown>): Promise<void> {
  await Deno.mkdir(join(dir, "greet"));
  await Deno.writeTextFile(
    join(dir, "greet", "main.ts"),
    "export default () => new Response('hi');\n",
  );
  await Deno.writeTextFile(join(dir, "greet", "qfaas.json"), JSON.stringify(config));
}

const decoded = (base64: string) => new TextDecoder().decode(Uint8Array.fromBase64(base64));

Deno.test("deploy: examples/functions renders a gateway and, per function, a Secret, Deployment, headless Service and HPA; the YAML reads back", async () => {
  await rendered(EXAMPLES, async ({ file, objects }) => {
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600, "it holds Secrets");
    const docs = parseAllDocuments(await Deno.readTextFile(file)).map((doc) => doc.toJS());
    assert.deepEqual(docs, JSON.parse(JSON.stringify(objects)));

    assert.equal(objects[0].kind, "Namespace", "first, so that kubectl apply can create the rest");
    const gateway = find(objects, "Service", "qfaas-gateway").spec!;
    assert.deepEqual(
      gateway.ports!.map((p) => `${p.port}/${p.protocol}`),
      ["8080/TCP", "8443/TCP", "8443/UDP", "8444/UDP"],
    );

    const deployment = find(objects, "Deployment", "echo").spec!;
    assert.equal(deployment.replicas, 1, "min 0 renders 1: no scale from zero on a cluster");
    const container = deployment.template.spec!.containers[0];
    assert.deepEqual(container.command?.slice(-3), ["replica", "echo", "/app/functions"]);
    assert.deepEqual(container.ports?.[0], {
      name: "h3",
      containerPort: PORTS.replica,
      protocol: "UDP",
    });
    assert.equal(container.resources?.limits?.memory, `${128 + RUNTIME_MEMORY_MIB}Mi`);
    assert.equal(container.readinessProbe?.httpGet?.port, PORTS.health);
    assert.equal(container.securityContext?.runAsNonRoot, true);

    const service = find(objects, "Service", "echo").spec!;
    assert.equal(service.clusterIP, "None", "headless: the gateway picks the replica");
    assert.deepEqual(service.selector, { faas_function: "echo" });
    assert.equal(find(objects, "HorizontalPodAutoscaler", "echo").spec!.maxReplicas, 4);
  });
});

Deno.test("deploy: one identity per function, shared by its replicas and held by the gateway: a certificate for the Service's names and a 48-byte ticket key", async () => {
  await rendered(EXAMPLES, async ({ objects }) => {
    const ca = new x509.X509Certificate(find(objects, "ConfigMap", "qfaas-ca").data![FILES.ca]);
    const secret = find(objects, "Secret", "echo").data!;
    const cert = new x509.X509Certificate(decoded(secret[FILES.cert]));
    assert.ok(
      await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }),
      "signed by the CA",
    );
    const names = cert.getExtension(x509.SubjectAlternativeNameExtension)!.names.items
      .map((n) => n.value);
    assert.ok(names.includes("echo.qfaas.svc.cluster.local"), names.join(" "));
    assert.equal(Uint8Array.fromBase64(secret[FILES.ticketKey]).byteLength, 48);
    const held = JSON.parse(
      decoded(find(objects, "Secret", "qfaas-gateway").data![FILES.functions]),
    );
    assert.equal(
      held.echo.ticketKey,
      secret[FILES.ticketKey],
      "the gateway mints with the same key",
    );
    assert.equal(held.echo.cert, decoded(secret[FILES.cert]));
    const config = JSON.parse(find(objects, "ConfigMap", "qfaas-gateway").data![FILES.cluster]);
    assert.deepEqual(config.functions.echo, { host: "echo.qfaas.svc.cluster.local", port: 8443 });
  });
});

Deno.test("deploy: rendering again keeps every identity; --rotate issues new ones and changes the pod templates, so they roll", async () => {
  const state = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    const first = await deploy(EXAMPLES, { out, state });
    const again = await deploy(EXAMPLES, { out, state });
    const key = (r: DeployResult) => find(r.objects, "Secret", "echo").data![FILES.ticketKey];
    const generation = (r: DeployResult) =>
      find(r.objects, "Deployment", "echo").spec!.template.metadata!
        .annotations![GENERATION_ANNOTATION];
    assert.equal(key(again), key(first));
    assert.equal(generation(again), generation(first));
    const rotated = await deploy(EXAMPLES, { out, state, rotate: true });
    assert.notEqual(key(rotated), key(first));
    assert.notEqual(generation(rotated), generation(first));
    assert.equal(
      find(rotated.objects, "ConfigMap", "qfaas-ca").data![FILES.ca],
      find(first.objects, "ConfigMap", "qfaas-ca").data![FILES.ca],
      "the CA stays: its key never left the state directory",
    );
    assert.ok(
      !(await Deno.readTextFile(join(out, "qfaas.yaml"))).includes(
        await Deno.readTextFile(join(state, "ca", "ca-key.pem")),
      ),
      "the CA key is not in the manifests",
    );
  } finally {
    await Deno.remove(state, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("deploy: Hello, Retail! renders and validates: 15 functions, each its own Deployment and Service", async () => {
  await rendered(HELLO_RETAIL, ({ objects }) => {
    const deployments = objects.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name);
    assert.equal(deployments.length, 16, deployments.join(" "));
    assert.ok(deployments.includes("photo-success"));
    return Promise.resolve();
  });
});

Deno.test("deploy: a project of one's own, outside the repository: its environment goes in a Secret the Deployment reads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await greetFunction(dir, { min: 2, max: 2, memory: "256Mi", env: { GREETING: "hello" } });
    await rendered(dir, ({ objects }) => {
      const spec = find(objects, "Deployment", "greet").spec!;
      assert.equal(spec.replicas, 2);
      const container = spec.template.spec!.containers[0];
      assert.deepEqual(container.envFrom, [{ secretRef: { name: "greet-env" } }]);
      assert.equal(container.resources?.limits?.memory, `${256 + RUNTIME_MEMORY_MIB}Mi`);
      assert.equal(decoded(find(objects, "Secret", "greet-env").data!.GREETING), "hello");
      assert.ok(!objects.some((o) => o.kind === "HorizontalPodAutoscaler"), "max = min: no HPA");
      return Promise.resolve();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deploy: bad input gets a clear error and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "out");
  try {
    await Deno.mkdir(join(dir, "qfaas-gateway"));
    await Deno.writeTextFile(
      join(dir, "qfaas-gateway", "main.ts"),
      "export default () => new Response('');\n",
    );
    await assert.rejects(
      deploy(dir, { out, state: join(dir, "state") }),
      /function "qfaas-gateway": its Service would be named "qfaas-gateway", as the gateway's is/,
    );
    await Deno.remove(join(dir, "qfaas-gateway"), { recursive: true });
    await Deno.mkdir(join(dir, "broken"));
    await Deno.writeTextFile(
      join(dir, "broken", "main.ts"),
      "export default () => new Response('');\n",
    );
    await Deno.writeTextFile(join(dir, "broken", "qfaas.json"), '{ "min": "many" }');
    await assert.rejects(
      deploy(dir, { out, state: join(dir, "state") }),
      /fix its configuration first:\n.*min/,
    );
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validateManifests: the Kubernetes schemas refuse a port that is not a number and a Deployment without a selector", async () => {
  const service: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "echo" },
    spec: { ports: [{ port: "8443", protocol: "UDP" }] },
  };
  await assert.rejects(validateManifests([service]), (error: unknown) => {
    assert.ok(error instanceof ManifestError);
    assert.equal(error.object, "Service/echo");
    assert.match(error.message, /port must be integer/);
    return true;
  });
  const deployment: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "echo" },
    spec: { template: {} },
  };
  await assert.rejects(validateManifests([deployment]), /Deployment\/echo: .*selector/);
});

Deno.test("deploy --target podman: one play per function and the gateway, Secrets and ConfigMaps as files mounted by hostPath, environment inline, no ports or probes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await greetFunction(dir, { min: 2, env: { GREETING: "hello" } });
    const out = join(dir, "out");
    const result = await deploy(dir, { out, state: join(dir, "state"), target: "podman" });
    assert.deepEqual(
      result.plays.map((p) => [p.file, p.alias]),
      [[join(out, "qfaas-gateway.podman.yaml"), "qfaas-gateway"], [
        join(out, "greet.podman.yaml"),
        "greet",
      ]],
    );
    const [play] = parseAllDocuments(await Deno.readTextFile(result.plays[1].file)).map((d) =>
      d.toJS() as IDeployment
    );
    const pod = play.spec!.template.spec!;
    const container = pod.containers[0];
    assert.equal(container.ports, undefined, "podman would publish them on the host");
    assert.equal(container.readinessProbe, undefined);
    assert.deepEqual(container.env?.find((e) => e.name === "GREETING"), {
      name: "GREETING",
      value: "hello",
    });
    const identity = pod.volumes!.find((v) => v.name === "identity")!;
    assert.deepEqual(identity.hostPath, { path: join(out, "secrets", "greet"), type: "Directory" });
    assert.equal((await Deno.stat(join(out, "secrets"))).mode! & 0o777, 0o700);
    assert.equal(
      (await Deno.readFile(join(out, "secrets", "greet", FILES.ticketKey))).byteLength,
      48,
      "the Secret's data, decoded, as the kubelet mounts it",
    );
    const cluster = JSON.parse(
      await Deno.readTextFile(join(out, "config", "qfaas-gateway", FILES.cluster)),
    );
    assert.equal(cluster.functions.greet.host, "greet", "found by its network alias");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
