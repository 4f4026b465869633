// A function's replicas as a cluster runs them (issue 16), with real processes
// from the CLI as a pod would start them, on a functions directory outside the
// repository: `qfaas deploy` renders the identities, two `qfaas replica`
// processes share the function's (as two pods mount one Secret), and
// `qfaas gateway --cluster` sits in front. The first request to each replica
// travels in 0-RTT (the function itself sees `early-data: 1`), a replica that
// dies is stepped around, and a new one's first request is 0-RTT again. Then a
// 0-RTT flight sent to one replica and replayed to the other does not run.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { H3Client } from "../h3/mod.ts";
import { ROLE_EKU } from "../pki/mod.ts";
import { mintSession } from "../quic/mod.ts";
import { type Project, project, qfaasArgv } from "./_dev_process.ts";
import { packetKinds, udpRelay } from "./_udp_relay.ts";
import { until } from "./_wait.ts";

const HOST = "counter.qfaas.svc.cluster.local";

/** Answers whether its request came in early data, and logs each run (a file: any replica). */
const COUNTER = `const log = new URL("./runs/log", import.meta.url);
export default {
  async fetch(request: Request): Promise<Response> {
    const body = await request.text();
    await Deno.writeTextFile(log, \`\${request.method} \${body}\\n\`, { append: true });
    return new Response(\`early=\${request.headers.get("early-data") ?? "0"} ran \${body}\\n\`);
  },
};
`;

/** Calls counter through the gateway (qfaas/chain), as a function of a user's project would. */
const CALLER = `import { invoke } from "qfaas/chain";
export default {
  async fetch(request: Request): Promise<Response> {
    const answer = await invoke("counter", { method: "POST", body: await request.text() });
    return new Response(\`caller got \${answer.status}: \${await answer.text()}\`);
  },
};
`;

const FILES: Record<string, string> = {
  "caller/main.ts": CALLER,
  "counter/main.ts": COUNTER,
  "counter/qfaas.json": `{ "allow_write": ["runs"] }\n`,
  "counter/runs/.keep": "",
};

/** What `qfaas deploy` rendered, written out as the kubelet mounts it. */
interface Mounted {
  /** Counter's identity directory. */
  identity: string;
  /** Every function's. */
  identities: Record<string, string>;
  gateway: string;
  ca: string;
  caCert: string;
  /** The function's identity as the gateway holds it. */
  held: { cert: string; key: string; ticketKey: string };
  invoker: { cert: string; key: string };
}

/** Runs `qfaas deploy` as a user would, then writes the Secrets and the CA where pods mount them. */
async function deployed(files: Project): Promise<Mounted> {
  const out = join(files.dir, "out");
  const [program, args] = qfaasArgv("deno", [
    "deploy",
    files.functions,
    "--out",
    out,
    "--namespace",
    "qfaas",
  ]);
  const result = await new Deno.Command(program, { args, env: files.env, cwd: files.dir }).output();
  assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
  const docs = parseAllDocuments(await Deno.readTextFile(join(out, "qfaas.yaml")))
    .map((doc) =>
      doc.toJS() as { kind: string; metadata: { name: string }; data: Record<string, string> }
    );
  const object = (kind: string, name: string) =>
    docs.find((d) => d.kind === kind && d.metadata.name === name)!;
  const mount = async (dir: string, data: Record<string, string>) => {
    await Deno.mkdir(dir, { recursive: true });
    for (const [file, base64] of Object.entries(data)) {
      await Deno.writeFile(join(dir, file), Uint8Array.fromBase64(base64), { mode: 0o400 });
    }
  };
  const identities: Record<string, string> = {};
  for (const name of ["counter", "caller"]) {
    identities[name] = join(files.dir, "mounts", "identity", name);
    await mount(identities[name], object("Secret", name).data);
  }
  const identity = identities.counter;
  const gateway = join(files.dir, "mounts", "gateway");
  await mount(gateway, object("Secret", "qfaas-gateway").data);
  const caCert = object("ConfigMap", "qfaas-ca").data["ca.crt"];
  const ca = join(files.dir, "mounts", "ca.crt");
  await Deno.writeTextFile(ca, caCert);
  const read = (file: string) => Deno.readTextFile(join(gateway, file));
  return {
    identity,
    identities,
    gateway,
    ca,
    caCert,
    held: JSON.parse(await read("functions.json")).counter,
    invoker: { cert: await read("invoker.crt"), key: await read("invoker.key") },
  };
}

/** A CLI process that printed one JSON line when ready. */
interface Started extends AsyncDisposable {
  child: Deno.ChildProcess;
  ready: Record<string, unknown>;
  /** Kills it and the worker it started, if any (SIGKILL: a container killed), and waits. */
  kill(): Promise<void>;
}

async function started(files: Project, argv: string[]): Promise<Started> {
  const [program, args] = qfaasArgv("deno", argv);
  const child = new Deno.Command(program, {
    args,
    env: files.env,
    cwd: files.dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let ready: Record<string, unknown> | null = null;
  const deadline = setTimeout(() => child.kill("SIGKILL"), 60_000);
  while (!ready) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`qfaas ${argv.join(" ")} exited before it was ready:\n${text}`);
    text += value;
    const line = text.split("\n").find((l) => l.startsWith("{") && l.includes('"level":"info"'));
    if (line) ready = JSON.parse(line);
  }
  clearTimeout(deadline);
  // Keep reading, so that its output never blocks it.
  const draining = (async () => {
    while (!(await lines.read()).done) { /* drop */ }
  })();
  let gone = false;
  const kill = async () => {
    if (gone) return;
    gone = true;
    for (const pid of [child.pid, ready?.pid as number | undefined]) {
      if (pid === undefined) continue;
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* exited already */ }
    }
    await child.status;
    await draining;
  };
  return { child, ready, kill, [Symbol.asyncDispose]: kill };
}

/** Starts one replica (of counter unless `extra.name`); `addresses` as in `qfaas replica --addresses`. */
function replica(
  files: Project,
  mounted: Mounted,
  ports: { port?: number; health?: number } = {},
  addresses?: string,
  extra: { name?: string; gateway?: string } = {},
) {
  const name = extra.name ?? "counter";
  return started(files, [
    "replica",
    name,
    files.functions,
    "--identity",
    mounted.identities[name],
    ...(extra.gateway ? ["--gateway", extra.gateway] : []),
    "--ca",
    mounted.ca,
    "--port",
    String(ports.port ?? 0),
    "--health-port",
    String(ports.health ?? 0),
    ...(addresses ? ["--addresses", addresses] : []),
  ]);
}

/** How many times the function ran a POST of `body`, whichever replica ran it. */
async function runs(files: Project, body: string): Promise<number> {
  const text = await Deno.readTextFile(join(files.functions, "counter", "runs", "log"))
    .catch(() => "");
  return text.split("\n").filter((line) => line === `POST ${body}`).length;
}

Deno.test({
  name:
    "cluster: two replicas share one identity; the first request to each is 0-RTT, one that dies is stepped around, a new one's first request is 0-RTT",
  // Worker processes are re-executions of the CLI; the replicas' own stderr is drained.
  sanitizeResources: false,
}, async () => {
  await using files = await project(FILES);
  const mounted = await deployed(files);
  // Ports chosen ahead, as a cluster's are known ahead: the gateway's configuration names
  // the replicas, and the replicas name the gateway's internal listener.
  const ports = [await freePorts(), await freePorts()];
  const callerPorts = await freePorts();
  const internal = await freeUdpPort();
  const config = join(files.dir, "mounts", "cluster");
  await Deno.mkdir(config, { recursive: true });
  const at = (p: { port: number; health: number }) => ({
    address: "127.0.0.1",
    port: p.port,
    healthPort: p.health,
  });
  await Deno.writeTextFile(
    join(config, "cluster.json"),
    JSON.stringify({
      namespace: "qfaas",
      functions: {
        counter: { host: HOST, port: 8443, replicas: ports.map(at) },
        caller: { host: "caller.qfaas.svc.cluster.local", port: 8443, replicas: [at(callerPorts)] },
      },
    }),
  );
  await using gateway = await started(files, [
    "gateway",
    files.functions,
    "--cluster",
    config,
    "--secrets",
    mounted.gateway,
    "--ca",
    mounted.ca,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--https-port",
    "0",
    "--internal-port",
    String(internal),
  ]);
  const link = { gateway: `https://localhost:${internal}` };
  const a = await replica(files, mounted, ports[0], undefined, link);
  await using _b = await replica(files, mounted, ports[1], undefined, link);
  await using _caller = await replica(files, mounted, callerPorts, undefined, {
    ...link,
    name: "caller",
  });
  const http = gateway.ready.http as string;
  const post = async (body: string, method = "POST") => {
    const response = await fetch(`${http}/function/counter`, {
      method,
      body: method === "POST" ? body : undefined,
    });
    return {
      status: response.status,
      text: await response.text(),
      replica: response.headers.get("x-qfaas-worker") ?? "",
      zeroRtt: response.headers.get("x-qfaas-0rtt"),
    };
  };
  const replicaName = (port: number) => `counter--127-0-0-1-${port}`;

  // The first request to each replica: in 0-RTT, and the replica's function saw it so.
  const first = [await post("one"), await post("two")];
  assert.deepEqual(
    first.map((r) => r.replica).sort(),
    ports.map((p) => replicaName(p.port)).sort(),
    "one request to each replica, in turn",
  );
  for (const answer of first) {
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.zeroRtt, "accepted", `${answer.replica}: ${answer.text}`);
    assert.match(answer.text, /^early=1 ran /, "the replica received it in early data");
  }

  // A function calling a function: the caller's first call to the gateway rides the
  // session its replica got at start, in 0-RTT.
  const chained = await fetch(`${http}/function/caller`, { method: "POST", body: "via-chain" });
  assert.equal(chained.status, 200);
  assert.match(await chained.text(), /^caller got 200: early=\d ran via-chain/);
  const metrics = await (await fetch(`${http}/metrics`)).text();
  assert.match(
    metrics,
    /^qfaas_internal_new_connection_requests_total\{early_data="true"\} 1$/m,
    "the caller's first call to the gateway came in 0-RTT",
  );

  // End users over HTTP/3 too.
  const h3 = new H3Client({ ca: mounted.caCert });
  try {
    const result = await h3.request(
      `https://localhost:${new URL(gateway.ready.https as string).port}/function/counter`,
      { method: "POST", body: "over-h3" },
    );
    assert.equal(result.response.status, 200);
    assert.match(await result.response.text(), /ran over-h3/);
  } finally {
    await h3.close();
  }

  // One replica dies (a container killed): requests go on, on the other. (A GET that
  // meets the dead one is sent again to the other; a POST in flight on it would get 502.)
  await a.kill();
  for (let i = 0; i < 6; i++) {
    const answer = await post("", "GET");
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.replica, replicaName(ports[1].port));
  }

  // A new pod in its place: its first request is 0-RTT as well.
  await using again = await replica(files, mounted, ports[0], undefined, link);
  assert.ok(again.ready.port === ports[0].port);
  const answer = await until("the gateway to use the new replica", async () => {
    const answer = await post("new-pod");
    return answer.replica === replicaName(ports[0].port) ? answer : null;
  }, 20_000);
  assert.equal(answer.zeroRtt, "accepted", answer.text);
  assert.match(answer.text, /^early=1 ran new-pod/);
});

Deno.test({
  name:
    "cluster: a 0-RTT POST sent to one replica and replayed to another that shares its ticket key does not run",
  sanitizeResources: false,
}, async () => {
  await using files = await project(FILES);
  const mounted = await deployed(files);
  // Replica A is dialed through a relay that records the flight: it answers to the
  // relay's address. B is another replica of the same function.
  const aPort = await freeUdpPort();
  await using relay = udpRelay(aPort, { holdFirstAnswerMs: 100 });
  await using _a = await replica(files, mounted, { port: aPort }, `127.0.0.1:${relay.port}`);
  await using b = await replica(files, mounted);
  const session = mintSession({
    server: {
      cert: mounted.held.cert,
      key: mounted.held.key,
      ticketKey: Uint8Array.fromBase64(mounted.held.ticketKey),
      clientAuth: { ca: mounted.caCert, extKeyUsage: ROLE_EKU.invoker },
    },
    ca: mounted.caCert,
    serverName: HOST,
    alpn: ["h3"],
    identity: mounted.invoker,
  });
  const client = new H3Client({
    ca: mounted.caCert,
    identity: mounted.invoker,
    sessions: { get: () => session, set: () => {} },
    bindNonces: true,
    resolve: () => ({ hostname: "127.0.0.1", port: relay.port, serverName: HOST }),
  });
  try {
    const result = await client.request(`https://a.counter:${relay.port}/`, {
      method: "POST",
      body: "pay-once",
    });
    assert.equal(result.earlyDataAccepted, true, "sent to A in 0-RTT, and A took it");
    assert.match(await result.response.text(), /^early=1 ran pay-once/);
  } finally {
    await client.close();
  }
  assert.equal(await runs(files, "pay-once"), 1);
  const flight = [];
  for (const datagram of relay.datagrams) {
    if (!datagram.toServer) break;
    flight.push(datagram.bytes);
  }
  assert.ok(flight.flatMap(packetKinds).includes("0-rtt"), "the recorded flight carries 0-RTT");

  // The flight replayed to B, from a new socket: B can decrypt it (the same ticket key),
  // but the nonce names A.
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  let answered = 0;
  const reading = (async () => {
    try {
      for (;;) {
        await socket.receive();
        answered++;
      }
    } catch { /* closed */ }
  })();
  const to: Deno.NetAddr = {
    transport: "udp",
    hostname: "127.0.0.1",
    port: b.ready.port as number,
  };
  for (const datagram of flight) await socket.send(datagram, to);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  socket.close();
  await reading;
  assert.ok(answered > 0, "B answered the replayed handshake (it holds the key)");
  assert.equal(await runs(files, "pay-once"), 1, "and did not run the replayed request");
});

/** A UDP port for a replica and a TCP port for its probes, free now. */
async function freePorts(): Promise<{ port: number; health: number }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const health = listener.addr.port;
  listener.close();
  return { port: await freeUdpPort(), health };
}

/** A UDP port free now (bound and released). */
async function freeUdpPort(): Promise<number> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  await Promise.resolve();
  return port;
}
