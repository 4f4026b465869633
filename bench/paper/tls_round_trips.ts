/**
 * How many round trips a request on a new HTTPS connection costs, by client
 * and TLS version: two network namespaces at a long RTT (20 ms), so that each
 * round trip stands out of the CPU time. It shows why the invoker's HTTPS
 * client is `node:https` with Nagle off (invoker/https_client.ts): Deno's
 * fetch waits one round trip after a TLS 1.3 handshake, so TLS 1.3 cost what
 * TLS 1.2 does.
 *
 *     deno run -A bench/paper/tls_round_trips.ts [--rtt 20] [--samples 15]   (root)
 *     deno run -A bench/paper/tls_round_trips.ts --cpu [--samples 200]
 *
 * Prints a Markdown table: medians, and the same in round trips. With
 * `--cpu`, what the clients cost instead: both ends on loopback here (no
 * round trip to speak of), new and kept connections, interleaved.
 *
 * @module
 */
import { Agent, request } from "node:https";
import { type ConnectionOptions, createSecureContext } from "node:tls";
import { parseArgs } from "node:util";
import { createCa, invokerIdentity, issueLeaf, ROLE_EKU } from "../../pki/mod.ts";
import { HttpsClient } from "../../invoker/https_client.ts";
import { serveHttps } from "../../watchdog/mod.ts";
import { createTestbed } from "../testbed/mod.ts";
import { readLines } from "../lines.ts";

/** What the server side hands the client side: ports and credentials. */
interface Setup {
  /** The server's address. */
  host: string;
  /** Plain HTTP/1.1. */
  tcp: number;
  /** HTTPS, TLS 1.3 (and 1.2). */
  tls13: number;
  /** HTTPS held to TLS 1.2. */
  tls12: number;
  /** CA (PEM) and the client's certificate and key, as the invoker's. */
  ca: string;
  cert: string;
  key: string;
}

/** Serves HTTP and HTTPS (mutual TLS, as a worker does) on `host`; prints the setup, waits for stdin to end. */
async function serve(host: string): Promise<void> {
  const ca = await createCa("round trips CA");
  const leaf = await issueLeaf(ca, { commonName: "server", ipAddresses: [host] });
  const client = await invokerIdentity(ca);
  // A tls (or tls12) worker's own listener: invoker certificates only.
  const https = async (maxVersion?: "TLSv1.2") =>
    (await serveHttps(
      {
        hostname: host,
        port: 0,
        cert: leaf.cert,
        key: leaf.key,
        clientAuth: { ca: ca.cert, extKeyUsage: ROLE_EKU.invoker },
        maxVersion,
      },
      () => new Response("ok"),
    )).addr.port;
  const plain = Deno.serve({ hostname: host, port: 0, onListen() {} }, () => new Response("ok"));
  const setup: Setup = {
    host,
    tcp: plain.addr.port,
    tls13: await https(),
    tls12: await https("TLSv1.2"),
    ca: ca.cert,
    cert: client.cert,
    key: client.key,
  };
  console.log(JSON.stringify(setup));
  for await (const _ of readLines(Deno.stdin.readable)) { /* until stdin ends */ }
  Deno.exit(0);
}

/** One GET through node:https (a new connection unless `agent` keeps them), Nagle on or off. */
function nodeGet(
  url: string,
  tls: ConnectionOptions,
  noDelay: boolean,
  agent: Agent | false = false,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const get = request(url, { ...tls, agent }, (response) => {
      response.resume();
      response.once("end", () => resolve());
    });
    get.once("socket", (socket) => socket.setNoDelay(noDelay));
    get.once("error", reject);
    get.end();
  });
}

/** Times every client against every server; prints one JSON object of medians. */
async function measure(setup: Setup, samples: number): Promise<void> {
  const base = (port: number, scheme = "https") => `${scheme}://${setup.host}:${port}/`;
  const fetchGet = async (url: string, tls: boolean) => {
    const client = Deno.createHttpClient(
      tls ? { caCerts: [setup.ca], cert: setup.cert, key: setup.key } : {},
    );
    try {
      await (await fetch(url, { client })).arrayBuffer();
    } finally {
      client.close();
    }
  };
  const secureContext = createSecureContext({ ca: [setup.ca], cert: setup.cert, key: setup.key });
  const node = (maxVersion: "TLSv1.2" | "TLSv1.3") => ({ secureContext, maxVersion });
  const shared = new HttpsClient({ ...setup, maxVersion: "TLSv1.3", keepAlive: false });
  const sharedGet = async (port: number) => {
    const target = { host: setup.host, port, servername: setup.host };
    await (await shared.send(target, { method: "GET", target: "/", fields: [], body: null }))
      .bytes();
  };
  const invokerGet = async (port: number, maxVersion: "TLSv1.2" | "TLSv1.3") => {
    const client = new HttpsClient({ ...setup, maxVersion, keepAlive: false });
    const target = { host: setup.host, port, servername: setup.host };
    await (await client.send(target, { method: "GET", target: "/", fields: [], body: null }))
      .bytes();
  };
  const cases: [string, () => Promise<void>][] = [
    ["tcp (HTTP/1.1), fetch", () => fetchGet(base(setup.tcp, "http"), false)],
    ["TLS 1.3, fetch", () => fetchGet(base(setup.tls13), true)],
    ["TLS 1.2, fetch", () => fetchGet(base(setup.tls12), true)],
    ["TLS 1.3, node:https, Nagle off", () => nodeGet(base(setup.tls13), node("TLSv1.3"), true)],
    ["TLS 1.3, node:https, Nagle on", () => nodeGet(base(setup.tls13), node("TLSv1.3"), false)],
    ["TLS 1.2, node:https, Nagle off", () => nodeGet(base(setup.tls12), node("TLSv1.2"), true)],
    ["TLS 1.3, the invoker's client", () => invokerGet(setup.tls13, "TLSv1.3")],
    ["TLS 1.3, the invoker's client, one for all requests", () => sharedGet(setup.tls13)],
    ["TLS 1.2, the invoker's client", () => invokerGet(setup.tls12, "TLSv1.2")],
  ];
  const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let i = 0; i < samples; i++) {
    for (const [name, run] of cases) {
      const started = performance.now();
      await run();
      times.get(name)!.push(performance.now() - started);
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
  console.log(JSON.stringify(Object.fromEntries([...times].map(([k, v]) => [k, median(v)]))));
}

/** The clients' CPU: both ends here on loopback, new and kept connections, interleaved. */
async function cpu(samples: number): Promise<void> {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", "127.0.0.1"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const setup: Setup = JSON.parse((await readLines(server.stdout).next()).value as string);
  const url = `https://127.0.0.1:${setup.tls13}/`;
  const credentials = { ca: [setup.ca], cert: setup.cert, key: setup.key };
  const secureContext = createSecureContext(credentials);
  const kept = Deno.createHttpClient({ caCerts: [setup.ca], cert: setup.cert, key: setup.key });
  const agent = new Agent({ keepAlive: true, ...credentials });
  const fetchNew = async () => {
    const client = Deno.createHttpClient({ caCerts: [setup.ca], cert: setup.cert, key: setup.key });
    await (await fetch(url, { client })).arrayBuffer();
    client.close();
  };
  const cases: [string, () => Promise<void>][] = [
    ["new connection, fetch", fetchNew],
    ["new connection, node:https, PEM options", () => nodeGet(url, credentials, true)],
    [
      "new connection, node:https, secure context made once",
      () => nodeGet(url, { secureContext }, true),
    ],
    [
      "kept connection, fetch",
      async () => void await (await fetch(url, { client: kept })).arrayBuffer(),
    ],
    ["kept connection, node:https", () => nodeGet(url, credentials, true, agent)],
  ];
  const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let round = 0; round < 8; round++) {
    for (const [name, run] of cases) {
      for (let i = 0; i < Math.ceil(samples / 8); i++) {
        const started = performance.now();
        await run();
        times.get(name)!.push(performance.now() - started);
      }
    }
  }
  kept.close();
  agent.destroy();
  await server.stdin.close();
  await server.status;
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
  console.log(
    `Command: \`deno run -A bench/paper/tls_round_trips.ts --cpu --samples ${samples}\`, ${
      new Date().toISOString()
    }; TLS 1.3 with a client certificate, loopback.\n`,
  );
  console.log("| request | median (ms) |\n| :-- | --: |");
  for (const [name, values] of times) console.log(`| ${name} | ${median(values).toFixed(3)} |`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rtt: { type: "string", default: "20" },
      samples: { type: "string" },
      cpu: { type: "boolean", default: false },
    },
  });
  if (values.cpu) return await cpu(Number(values.samples ?? 200));
  const rttMs = Number(values.rtt);
  const samples = Number(values.samples ?? 15);
  await using bed = await createTestbed({
    hosts: ["client", "server"],
    rttMs,
    prefix: "qfaas-rtts-",
  });
  const self = new URL(import.meta.url).pathname;
  const run = (host: string, ...args: string[]) => {
    const [command, ...prefix] = bed.command(host);
    return new Deno.Command(command, {
      args: [...prefix, Deno.execPath(), "run", "-A", self, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  };
  const server = run("server", "--serve", bed.hosts.server.address);
  const lines = readLines(server.stdout);
  const setup = (await lines.next()).value as string;
  const client = run("client", "--measure", setup, String(samples));
  await client.stdin.close();
  const output = await client.output();
  await server.stdin.close();
  await server.status;
  const medians: Record<string, number> = JSON.parse(new TextDecoder().decode(output.stdout));
  const measured = (await bed.verify(0.1)).map((check) => check.median.toFixed(2));
  console.log(
    `Command: \`deno run -A bench/paper/tls_round_trips.ts --rtt ${rttMs} --samples ${samples}\`,` +
      ` ${new Date().toISOString()}; RTT measured ${measured.join(", ")} ms.\n`,
  );
  console.log("| client and server | median (ms) | round trips |");
  console.log("| :-- | --: | --: |");
  for (const [name, ms] of Object.entries(medians)) {
    console.log(`| ${name} | ${ms.toFixed(1)} | ${(ms / rttMs).toFixed(2)} |`);
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") await serve(Deno.args[1]);
  else if (Deno.args[0] === "--measure") {
    await measure(JSON.parse(Deno.args[1]), Number(Deno.args[2]));
  } else await main();
}
