// Real namespaces, real packets: these tests need root, `ip` and `ping`
// (iputils-ping), and build the delay line with the system C compiler.
import assert from "node:assert/strict";
import { quantile } from "../stats.ts";
import {
  createTestbed,
  listNamespaces,
  netemAvailable,
  removeStale,
  RttMismatchError,
  type Testbed,
  TestbedError,
  type TestbedStep,
  ZERO_RTT_BOUND_MS,
} from "./mod.ts";
import { parsePingTimes } from "./ping.ts";
import { planTopology } from "./topology.ts";

const PREFIX = "qfaas-test-";
const OURS = `${PREFIX}${Deno.pid}-`;
const PROBE = new URL("./_net_probe.ts", import.meta.url).pathname;

/** Pids of live processes whose command line contains `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      const cmdline = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).replaceAll(
        "\0",
        " ",
      );
      if (cmdline.includes(text)) pids.push(Number(entry.name));
    } catch { /* exited */ }
  }
  return pids;
}

/** The error `fn` rejects with; fails if it resolves or rejects with something not `type`. */
async function rejection<T extends Error>(
  fn: () => Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

function assertBelow(value: number, limit: number, message?: string): void {
  assert.ok(value < limit, `${value} is not below ${limit}${message ? `: ${message}` : ""}`);
}

function assertAbove(value: number, limit: number, message?: string): void {
  assert.ok(value > limit, `${value} is not above ${limit}${message ? `: ${message}` : ""}`);
}

async function assertNothingLeft(): Promise<void> {
  assert.deepEqual(await listNamespaces(OURS), []);
  assert.deepEqual(await processesMentioning(OURS), []);
}

function inHost(bed: Testbed, host: string, args: string[], env?: Record<string, string>) {
  const [cmd, ...prefix] = bed.command(host);
  return new Deno.Command(cmd, { args: [...prefix, ...args], env, stdout: "piped" });
}

/** Starts the UDP/TCP probe in `from`, aimed at `to`'s echo server; send it lines, read JSON. */
async function probe(bed: Testbed, from: string, to: string) {
  const args = ["run", "-A", "--unstable-net", PROBE, "probe", bed.hosts[to].address, "7000"];
  const [cmd, ...prefix] = bed.command(from);
  const child = new Deno.Command(cmd, {
    args: [...prefix, Deno.execPath(), ...args],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let buffered = "";
  const readLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("the probe exited");
      buffered += value;
    }
    const line = buffered.slice(0, buffered.indexOf("\n"));
    buffered = buffered.slice(line.length + 1);
    return line;
  };
  assert.equal(await readLine(), "ready");
  const ask = async <T>(line: string): Promise<T> => {
    await writer.write(new TextEncoder().encode(line + "\n"));
    return JSON.parse(await readLine());
  };
  return {
    round: () => ask<{ udpMs: number; tcpMs: number }>("round"),
    echo: (size: number) => ask<{ ms: number; intact: boolean; received: number }>(`echo ${size}`),
    async [Symbol.asyncDispose]() {
      await writer.close();
      await lines.cancel();
      await child.status;
    },
  };
}

/** Starts the echo server inside `host`; dispose to stop it. */
async function echoServer(bed: Testbed, host: string) {
  const args = ["run", "-A", "--unstable-net", PROBE, "serve", "7000"];
  const child = inHost(bed, host, [Deno.execPath(), ...args]).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.deepEqual((await lines.read()).value?.trim(), "ready");
  return {
    async [Symbol.asyncDispose]() {
      child.kill();
      await lines.cancel();
      await child.status;
    },
  };
}

Deno.test("planTopology() gives each host a veth to the hub and permanent neighbours", () => {
  const plan = planTopology("qfaas-1-1", ["a", "b"], { mtu: 1400, bridge: false });
  assert.deepEqual(plan.hub, "qfaas-1-1.hub");
  assert.deepEqual(plan.hosts.map((h) => [h.namespace, h.address, h.mac, h.hubLink]), [
    ["qfaas-1-1-a", "10.77.0.1", "02:00:0a:4d:00:01", "h0"],
    ["qfaas-1-1-b", "10.77.0.2", "02:00:0a:4d:00:02", "h1"],
  ]);
  assert.deepEqual(
    plan.root.at(-1),
    "link add h1 netns qfaas-1-1.hub mtu 1400 type veth peer name eth0 netns qfaas-1-1-b mtu 1400 address 02:00:0a:4d:00:02",
  );
  assert.ok(
    plan.hostSetup["qfaas-1-1-a"].includes(
      "neigh replace 10.77.0.2 lladdr 02:00:0a:4d:00:02 dev eth0 nud permanent",
    ),
  );
  assert.ok(!plan.hubSetup.some((line) => line.includes("br0")));
  const bridged = planTopology("qfaas-1-1", ["a", "b"], { mtu: 1500, bridge: true });
  assert.ok(bridged.hubSetup.includes("link set h0 master br0 up"));
});

Deno.test("parsePingTimes() reads the per-reply times of iputils ping", () => {
  const output = "64 bytes from 10.77.0.2: icmp_seq=1 ttl=64 time=2.05 ms\n" +
    "64 bytes from 10.77.0.2: icmp_seq=2 ttl=64 time=0.512 ms\n" +
    "rtt min/avg/max/mdev = 0.512/1.281/2.050/0.769 ms\n";
  assert.deepEqual(parsePingTimes(output), [2.05, 0.512]);
});

Deno.test("createTestbed() rejects bad options before making anything", async () => {
  await rejection(() => createTestbed({ hosts: ["a", "a"], rttMs: 1, prefix: PREFIX }), TypeError);
  await rejection(() => createTestbed({ hosts: ["a/b"], rttMs: 1, prefix: PREFIX }), TypeError);
  await rejection(() => createTestbed({ hosts: [], rttMs: 1, prefix: PREFIX }), RangeError);
  await rejection(() => createTestbed({ hosts: ["a"], rttMs: -1, prefix: PREFIX }), RangeError);
  await rejection(
    () => createTestbed({ hosts: ["a"], rttMs: 1, mtu: 100, prefix: PREFIX }),
    RangeError,
  );
  await assertNothingLeft();
});

Deno.test("createTestbed() uses netem where the kernel has it, else the delay line", async () => {
  if (await netemAvailable(PREFIX)) {
    await using bed = await createTestbed({
      hosts: ["a", "b"],
      rttMs: 2,
      backend: "netem",
      prefix: PREFIX,
    });
    assert.equal(bed.backend, "netem");
    await bed.verify();
  } else {
    const error = await rejection(
      () => createTestbed({ hosts: ["a", "b"], rttMs: 2, backend: "netem", prefix: PREFIX }),
      TestbedError,
    );
    assert.equal(error.step, "preflight");
    await using bed = await createTestbed({ hosts: ["a"], rttMs: 0, prefix: PREFIX });
    assert.equal(bed.backend, "delay-line");
    assert.equal(bed.pids.length, 1);
  }
  await assertNothingLeft();
});

Deno.test("createTestbed() joins three hosts at 2 ms RTT: every pair pings within 10%", async () => {
  await using bed = await createTestbed({
    hosts: ["user", "gateway", "worker"],
    rttMs: 2,
    prefix: PREFIX,
  });
  const checks = await bed.verify(0.1);
  assert.deepEqual(checks.length, 3);
  for (const check of checks) {
    assertBelow(Math.abs(check.median - 2), 0.2, JSON.stringify(check));
  }
  // Loopback works inside a host.
  const [cmd, ...args] = bed.command("worker");
  const local = await new Deno.Command(cmd, {
    args: [...args, "ping", "-c", "1", "-W", "1", "127.0.0.1"],
    stdout: "null",
  }).output();
  assert.deepEqual(local.code, 0);
  if (bed.backend === "delay-line") assert.deepEqual((await bed.stats())?.dropped, 0);
});

Deno.test("a UDP echo and a TCP connect each take one RTT through the test bed", async () => {
  await using bed = await createTestbed({ hosts: ["user", "gateway"], rttMs: 1, prefix: PREFIX });
  await using _server = await echoServer(bed, "gateway");
  await using client = await probe(bed, "user", "gateway");
  for (let i = 0; i < 3; i++) await client.round(); // warm-up
  // The Deno runtime adds 0.2-1 ms of its own to a UDP echo here, in bursts,
  // so the test compares two RTTs far apart, interleaved so drift hits both
  // alike, by their lower quartile: 5 ms more RTT must add 5 ms (±10%).
  const rtts = [1, 6] as const;
  const samples = { udpMs: [[], []] as number[][], tcpMs: [[], []] as number[][] };
  for (let i = 0; i < 30; i++) {
    for (const [index, rtt] of rtts.entries()) {
      await bed.setRtt(rtt);
      const round = await client.round();
      samples.udpMs[index].push(round.udpMs);
      samples.tcpMs[index].push(round.tcpMs);
    }
  }
  for (const kind of ["udpMs", "tcpMs"] as const) {
    const [low, high] = samples[kind].map((times) =>
      quantile(times.toSorted((a, b) => a - b), 0.25)
    );
    const detail = `${kind}: p25 ${low.toFixed(3)} ms at 1 ms RTT, ${high.toFixed(3)} ms at 6 ms`;
    // Both protocols are delayed (a TCP connect waits for SYN -> SYN-ACK)...
    assertBelow(Math.abs(high - low - 5), 0.5, detail);
    // ... by one round trip, not two.
    assertAbove(high, 5.4, detail);
    assertBelow(high, 9, detail);
  }
  // Datagrams above the MTU (1500: 1472 bytes of UDP payload) are fragmented
  // by the sender's kernel; every fragment is delayed and the receiver
  // reassembles them.
  for (const size of [1472, 1473, 4000, 65507]) {
    const echo = await client.echo(size);
    assert.ok(echo.intact, `${size}-byte datagram came back as ${echo.received} bytes`);
    assertAbove(echo.ms, 5.4, `${size} bytes`);
  }
});

Deno.test("Testbed.setRtt() changes the measured RTT without a rebuild", async () => {
  await using bed = await createTestbed({ hosts: ["a", "b"], rttMs: 2, prefix: PREFIX });
  const pids = [...bed.pids];
  for (const rtt of [0.5, 3]) {
    await bed.setRtt(rtt);
    assert.deepEqual(bed.rttMs, rtt);
    const sample = await bed.measureRtt("a", "b", 30);
    assertBelow(Math.abs(sample.median - rtt), rtt * 0.1, `${rtt} ms: ${JSON.stringify(sample)}`);
  }
  await bed.setRtt(0);
  const [check] = await bed.verify();
  assertBelow(check.median, ZERO_RTT_BOUND_MS);
  assert.deepEqual(bed.pids, pids);
  await rejection(() => bed.setRtt(-1), RangeError);
});

Deno.test("Testbed.verify() throws RttMismatchError when the RTT is not met", async () => {
  // 20 µs is far below what a round trip through two kernel stacks costs, so
  // no median can land within 10% (2 µs) of it.
  await using bed = await createTestbed({ hosts: ["a", "b"], rttMs: 0.02, prefix: PREFIX });
  const error = await rejection(() => bed.verify(), RttMismatchError);
  assert.equal(error.step, "verify");
  assert.equal(error.checks.length, 1);
  assert.equal(error.checks[0].ok, false);
  assertAbove(error.checks[0].median, 0.022);
});

Deno.test("Testbed.close() removes the namespaces, the delay line and processes inside", async () => {
  const bed = await createTestbed({ hosts: ["a", "b"], rttMs: 1, prefix: PREFIX });
  assert.deepEqual((await listNamespaces(OURS)).length, 3);
  const sleeper = inHost(bed, "a", ["sleep", "60"]).spawn();
  const pids = [...bed.pids];
  if (bed.backend === "delay-line") assert.deepEqual(pids.length, 1);
  await bed.close();
  await bed.close(); // idempotent
  await assertNothingLeft();
  for (const pid of pids) {
    await rejection(() => Deno.stat(`/proc/${pid}/ns/net`), Deno.errors.NotFound);
  }
  const status = await sleeper.status;
  assert.deepEqual(status.success, false);
  await sleeper.stdout.cancel();
  await rejection(() => bed.setRtt(1), TestbedError);
});

Deno.test("createTestbed() removes everything when a step fails halfway", async () => {
  const steps: TestbedStep[] = ["namespaces", "links", "delays", "calibrated"];
  for (const failAt of steps) {
    const seen: TestbedStep[] = [];
    const error = await rejection(() =>
      createTestbed({
        hosts: ["a", "b", "c"],
        rttMs: 1,
        prefix: PREFIX,
        onStep: (step) => {
          seen.push(step);
          if (step === failAt) throw new Error(`failing at ${step}`);
        },
      }), Error);
    assert.deepEqual(error.message, `failing at ${failAt}`);
    assert.deepEqual(seen, steps.slice(0, steps.indexOf(failAt) + 1));
    await assertNothingLeft();
  }
});

Deno.test("removeStale() removes namespaces of dead runs and keeps live ones", async () => {
  // A pid that is certainly gone: a process that has exited and been reaped.
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const deadPid = dead.pid;
  const stale = `${PREFIX}${deadPid}-1-x`;
  await new Deno.Command("ip", { args: ["netns", "add", stale] }).output();
  await using bed = await createTestbed({ hosts: ["a"], rttMs: 0, prefix: PREFIX });
  const removed = await removeStale(PREFIX);
  assert.deepEqual(removed, [stale]);
  assert.deepEqual(await listNamespaces(stale), []);
  assert.deepEqual((await listNamespaces(OURS)).length, 2);
  assert.deepEqual(bed.hosts.a.address, "10.77.0.1");
});

Deno.test("a SIGTERM to the process removes its test bed", async () => {
  const mod = new URL("./mod.ts", import.meta.url).href;
  const script = `
    import { createTestbed } from ${JSON.stringify(mod)};
    await createTestbed({ hosts: ["a", "b"], rttMs: 1, prefix: "${PREFIX}", calibrate: false });
    console.log("ready");
    await new Promise(() => {});
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.deepEqual((await lines.read()).value?.trim(), "ready");
  const theirs = `${PREFIX}${child.pid}-`;
  assert.deepEqual((await listNamespaces(theirs)).length, 3);
  child.kill("SIGTERM");
  const status = await child.status;
  await lines.cancel();
  assert.deepEqual(status.code, 143);
  assert.deepEqual(await listNamespaces(theirs), []);
  assert.deepEqual(await processesMentioning(theirs), []);
});
