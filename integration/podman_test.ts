// The cluster path on a real engine (issue 16): `qfaas image` builds the image
// of a functions directory outside the repository, `qfaas deploy --target
// podman` renders it, and `podman kube play` runs the gateway and one function
// with 2 replicas, each pod on its own address of a podman network. The test
// checks, through the gateway: the first request to each replica arrives in
// 0-RTT (the replica's function sees `early-data: 1`); after one replica's
// container is killed, requests go on, on the other; and the first request to
// a new container in its place is 0-RTT again. Slow (~1 min): it builds
// an image. Podman on these VMs needs runc and a containers.conf (see
// docs/deploy.md); the test writes its own.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Project, project, qfaasArgv } from "./_dev_process.ts";
import { until } from "./_wait.ts";

const NETWORK = "qfaas-e2e";
const IMAGE = "localhost/qfaas-e2e:latest";

const FILES: Record<string, string> = {
  // Which process answered (a module loads once per process), and whether in 0-RTT.
  "hello/main.ts": `const process = crypto.randomUUID();
export default {
  fetch(request: Request): Response {
    return new Response(\`early=\${request.headers.get("early-data") ?? "0"} \${process}\\n\`);
  },
};
`,
  "hello/qfaas.json": `{ "min": 2, "max": 2 }\n`,
};

/** Runs a command; returns its stdout, throwing with its output if it fails (unless `allowFail`). */
async function sh(
  env: Record<string, string>,
  command: string,
  args: string[],
  allowFail = false,
): Promise<string> {
  const output = await new Deno.Command(command, { args, env, stdin: "null" }).output();
  const text = new TextDecoder();
  if (!output.success && !allowFail) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${output.code}):\n${text.decode(output.stderr)}`,
    );
  }
  return text.decode(output.stdout);
}

/** Removes every pod and the test's network: before (leftovers of a failed run) and after. */
async function cleanUp(env: Record<string, string>): Promise<void> {
  await sh(env, "podman", ["pod", "stop", "-a", "-t", "0"], true);
  await sh(env, "podman", ["pod", "rm", "-af"], true);
  await sh(env, "podman", ["rm", "-af", "-t", "0"], true);
  await sh(env, "podman", ["network", "rm", "-f", NETWORK], true);
}

/** The address of `pod` on the test's network. */
async function podAddress(env: Record<string, string>, pod: string): Promise<string> {
  const infra = (await sh(env, "podman", ["pod", "inspect", "-f", "{{.InfraContainerID}}", pod]))
    .trim();
  return (await sh(env, "podman", [
    "inspect",
    "-f",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    infra,
  ])).trim();
}

async function qfaas(files: Project, env: Record<string, string>, args: string[]) {
  const [program, argv] = qfaasArgv("deno", args);
  const started = performance.now();
  const out = await sh({ ...files.env, ...env }, program, argv);
  return { out, seconds: (performance.now() - started) / 1000 };
}

Deno.test({
  name:
    "podman: qfaas image, qfaas deploy --target podman, kube play: the first request to each replica is 0-RTT; one killed, requests go on; its successor's first request is 0-RTT",
  sanitizeResources: false,
}, async () => {
  await using files = await project(FILES);
  const conf = join(files.dir, "containers.conf");
  await Deno.writeTextFile(
    conf,
    '[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n',
  );
  const env = { ...Deno.env.toObject(), CONTAINERS_CONF: conf };
  await cleanUp(env);
  try {
    const image = await qfaas(files, env, ["image", files.functions, "--tag", IMAGE]);
    assert.match(
      image.out,
      /^built localhost\/qfaas-e2e:latest in [\d.]+ s: tar [\d.]+ MB, image [\d.]+ MB/,
    );
    console.log(`image: ${image.out.trim()}`);

    const out = join(files.dir, "out");
    await qfaas(files, env, [
      "deploy",
      files.functions,
      "--out",
      out,
      "--target",
      "podman",
      "--image",
      IMAGE,
    ]);
    await sh(env, "podman", ["network", "create", NETWORK]);
    const played = performance.now();
    // The gateway first (the order qfaas deploy prints): replicas get their session for its
    // internal listener at start.
    for (const alias of ["qfaas-gateway", "hello"]) {
      await sh(env, "podman", [
        "kube",
        "play",
        "--network",
        `${NETWORK}:alias=${alias}`,
        join(out, `${alias}.podman.yaml`),
      ]);
    }
    const gateway = `http://${await podAddress(env, "qfaas-gateway-pod-0")}:8080`;
    const replicas = await Promise.all(
      ["hello-pod-0", "hello-pod-1"].map((p) => podAddress(env, p)),
    );
    const nameOf = (address: string) => `hello--${address.replaceAll(".", "-")}-8443`;

    const call = async (method = "POST") => {
      const started = performance.now();
      const response = await fetch(`${gateway}/function/hello`, {
        method,
        body: method === "POST" ? "x" : undefined,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      return {
        status: response.status,
        text,
        process: text.split(" ")[1]?.trim() ?? "",
        replica: response.headers.get("x-qfaas-worker") ?? "",
        zeroRtt: response.headers.get("x-qfaas-0rtt"),
        ms: performance.now() - started,
      };
    };
    type Answer = Awaited<ReturnType<typeof call>>;
    // Every replica's first answer, however many requests it takes to meet both.
    const firsts = new Map<string, Answer>();
    await until("an answer from each replica", async () => {
      // Until the gateway is up, nothing answers; until it finds replicas, 503.
      const answer = await call().catch((error) => {
        if (error instanceof TypeError) return null;
        throw error;
      });
      if (answer?.status !== 200) return null;
      if (!firsts.has(answer.replica)) firsts.set(answer.replica, answer);
      return firsts.size === 2 ? true : null;
    });
    console.log(
      `pods up and both replicas answered ${
        ((performance.now() - played) / 1000).toFixed(1)
      } s after kube play`,
    );
    assert.deepEqual([...firsts.keys()].sort(), replicas.map(nameOf).sort());
    for (const [replica, answer] of firsts) {
      assert.equal(answer.zeroRtt, "accepted", `${replica}: ${answer.text}`);
      assert.match(answer.text, /^early=1 /, `${replica} received it in 0-RTT`);
      console.log(
        `first request to ${replica}: ${answer.ms.toFixed(1)} ms, 0-RTT ${answer.zeroRtt}`,
      );
    }

    // One replica's container killed and left down (`podman stop -t 0`: SIGKILL, and no
    // restart, as a container that does not come back): requests go on, on the other.
    const killed = firsts.get(nameOf(replicas[0]))!.process;
    await sh(env, "podman", ["stop", "-t", "0", "hello-pod-0-function"]);
    const during: Answer[] = [];
    for (let i = 0; i < 8; i++) during.push(await call("GET"));
    for (const answer of during) {
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.replica, nameOf(replicas[1]), "the other replica answers");
    }
    console.log(`replica 0 down: ${during.map((a) => `${a.ms.toFixed(0)} ms`).join(", ")}`);

    // A new container in its place (podman gives its pod a new address; the gateway finds
    // it by the alias): its first request, to a process it has never reached, is 0-RTT.
    await sh(env, "podman", ["start", "hello-pod-0-function"]);
    const moved = nameOf(await podAddress(env, "hello-pod-0"));
    const again = await until("the new container to answer", async () => {
      const answer = await call("GET");
      assert.equal(answer.status, 200, answer.text);
      return answer.replica === moved ? answer : null;
    });
    assert.notEqual(again.process, killed, "a new process");
    assert.equal(again.zeroRtt, "accepted", again.text);
    assert.match(again.text, /^early=1 /);
    console.log(`first request to the new container: ${again.ms.toFixed(1)} ms, 0-RTT accepted`);
  } finally {
    await cleanUp(env);
    // The image too (200 MB a run), and the one it replaced.
    await sh(env, "podman", ["rmi", "-f", IMAGE], true);
    await sh(env, "podman", ["image", "prune", "-f"], true);
  }
});
