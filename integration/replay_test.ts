// A 0-RTT replay as an attacker on the path makes it (issue 14): the UDP
// datagrams of a real 0-RTT POST from `qfaas invoke --http3`, recorded by a
// relay on loopback, and the client's first flight (the Initial with the
// ClientHello and the 0-RTT packets with the POST) sent again five times, each
// from a new socket. The function runs exactly once; the gateway refuses the
// replayed request with 425 Too Early and keeps serving. (Only the first replay
// to arrive reaches HTTP: the others carry the same Initial connection ID and
// go to the connection it opened, which drops them; the assertions hold either
// way.)
import assert from "node:assert/strict";
import { join } from "node:path";
import { type DevProcess, invoke, type Project, project, startDev } from "./_dev_process.ts";
import { packetKinds, type RelayedDatagram, udpRelay } from "./_udp_relay.ts";

/** How many times the recorded first flight is sent again. */
const REPLAYS = 5;

/**
 * How long the relay holds the gateway's first answer to each client (a first
 * round trip a real path may have). quiche writes its 0-RTT packets a moment
 * after its Initial; on a busy machine the answer to the Initial could
 * otherwise reach the client first, and its 0-RTT packets be no part of its
 * first flight (seen once in ~25 runs, three at a time).
 */
const HOLD_MS = 100;

/**
 * How long to wait, after the recorded client closed its connection, for the
 * gateway to forget it: it drains for 3 PTOs (RFC 9000 §10.2), about 1 s when
 * the first round trip took HOLD_MS. Until then a replay carries the closed
 * connection's ID and the gateway routes it there, where it is dropped.
 */
const DRAIN_WAIT_MS = 2_000;

/**
 * A function that counts its runs in a file, one line per request. A file,
 * not memory, so the count holds whichever worker ran it.
 */
const COUNTER = `const log = new URL("./runs/log", import.meta.url);
export default {
  async fetch(request: Request): Promise<Response> {
    const body = await request.text();
    await Deno.writeTextFile(log, \`\${request.method} \${body}\\n\`, { append: true });
    return new Response(\`ran \${body}\\n\`);
  },
};
`;

const FILES: Record<string, string> = {
  "counter/main.ts": COUNTER,
  "counter/qfaas.json": `{ "allow_write": ["runs"] }\n`,
  "counter/runs/.keep": "",
};

/** The function's log of runs. */
function logOf(files: Project): string {
  return join(files.functions, "counter", "runs", "log");
}

/** How many times the function ran a POST of `body`. */
async function runs(log: string, body: string): Promise<number> {
  const text = await Deno.readTextFile(log).catch(() => "");
  return text.split("\n").filter((line) => line === `POST ${body}`).length;
}

/** A sample `name{labels}` of the gateway's /metrics (0 if absent). */
async function metric(
  dev: DevProcess,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = await (await fetch(`${dev.http}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] === name && wanted.every((pair) => match[2].split(",").includes(pair))) {
      return Number(match[3]);
    }
  }
  return 0;
}

/** How the gateway treated requests: in 0-RTT on HTTP/3, refused as too early, run. */
interface Counters {
  early: number;
  tooEarly: number;
  ran: number;
}

async function counters(dev: DevProcess): Promise<Counters> {
  return {
    early: await metric(dev, "qfaas_requests_total", { protocol: "h3", early_data: "true" }),
    tooEarly: await metric(dev, "qfaas_too_early_total", { protocol: "h3" }),
    ran: await metric(dev, "qfaas_invocations_total", { function: "counter", code: "200" }),
  };
}

/** What the client of `client` sent before anything came back to it from the server. */
function firstFlight(datagrams: RelayedDatagram[], client: string): Uint8Array<ArrayBuffer>[] {
  const flight: Uint8Array<ArrayBuffer>[] = [];
  for (const datagram of datagrams) {
    if (datagram.client !== client) continue;
    if (!datagram.toServer) break;
    flight.push(datagram.bytes);
  }
  return flight;
}

/**
 * Two runs of `qfaas invoke counter --http3` through a relay: the first gets
 * a session, the second POSTs `body` in 0-RTT. Returns the second run's first
 * flight. Both runs use the relay's origin, so the session is kept for it.
 */
async function recordZeroRttPost(
  files: Project,
  dev: DevProcess,
  body: string,
): Promise<Uint8Array<ArrayBuffer>[]> {
  await using relay = udpRelay(dev.httpsPort, { holdFirstAnswerMs: HOLD_MS });
  const gateway = `https://localhost:${relay.port}`;
  const h3 = (data: string) => ["counter", "--http3", "--gateway", gateway, "-d", data, "-i"];

  const first = await invoke(h3("first"), files.env);
  assert.match(first, /^200 /);
  assert.match(first, /^0-RTT: not sent \(no session yet\)$/m);

  const mark = relay.datagrams.length;
  const second = await invoke(h3(body), files.env);
  assert.match(second, /^200 /, second);
  assert.match(second, /^0-RTT: sent, accepted$/m, second);
  assert.match(second, new RegExp(`ran ${body}\\n$`));
  assert.equal(await runs(logOf(files), body), 1);

  // The second run's socket: the first client the relay heard from after the mark that it had
  // not heard from before it (a late datagram of the first run's connection may come after it).
  const earlier = new Set(relay.datagrams.slice(0, mark).map((d) => d.client));
  const client = relay.datagrams.slice(mark).find((d) => !earlier.has(d.client))?.client;
  assert.ok(client, "the second run went through the relay");
  const flight = firstFlight(relay.datagrams.slice(mark), client);
  const kinds = flight.map(packetKinds);
  assert.equal(kinds[0]?.[0], "initial", "the flight starts with the ClientHello's Initial");
  assert.ok(kinds.flat().includes("0-rtt"), `the POST went out in 0-RTT: ${kinds.join(" | ")}`);
  return flight;
}

/** What came back to one replay's socket. */
interface ReplayAnswer {
  /** Datagrams the gateway sent back. */
  datagrams: number;
  /** Their bytes. */
  bytes: number;
  /** The packets each carried, e.g. "initial+handshake+short". */
  kinds: string[];
}

/** Sends `flight` from a new UDP socket to `port`, and collects what comes back until `done`. */
async function replay(
  flight: Uint8Array[],
  port: number,
  done: Promise<void>,
): Promise<ReplayAnswer> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const answer: ReplayAnswer = { datagrams: 0, bytes: 0, kinds: [] };
  const reading = (async () => {
    try {
      for (;;) {
        const [data] = await socket.receive();
        answer.datagrams++;
        answer.bytes += data.byteLength;
        answer.kinds.push(packetKinds(data).join("+"));
      }
    } catch { /* closed */ }
  })();
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  for (const datagram of flight) await socket.send(datagram, to);
  await done;
  socket.close();
  await reading;
  return answer;
}

/** Polls `check` every 50 ms until it holds or `ms` passed; whether it held. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `flight` `REPLAYS` times, each from a new socket, straight to the
 * gateway's HTTP/3 port (where an attacker on the path would inject it; the
 * relay only records), and waits for the gateway to act on them. Returns the
 * counters before and after, and what each socket got back.
 */
async function replayFlight(dev: DevProcess, flight: Uint8Array[]) {
  const before = await counters(dev);
  const done = Promise.withResolvers<void>();
  const answers = Array.from(
    { length: REPLAYS },
    () => replay(flight, dev.httpsPort, done.promise),
  );
  // Once one replayed request has reached the gateway, give the rest (and any
  // function run they might start) a second.
  await until(async () => (await counters(dev)).early > before.early, 5_000);
  await sleep(1_000);
  done.resolve();
  return { before, after: await counters(dev), answers: await Promise.all(answers) };
}

Deno.test("gateway: a recorded 0-RTT POST from qfaas invoke, replayed 5 times from new sockets, runs the function once", async () => {
  await using files = await project(FILES);
  await using dev = await startDev(files);
  const body = `second-${crypto.randomUUID()}`;
  const flight = await recordZeroRttPost(files, dev, body);
  // So that a replay opens a new connection rather than reaching the closed one.
  await sleep(DRAIN_WAIT_MS);

  const { before, after, answers } = await replayFlight(dev, flight);
  console.log(
    `first flight: ${flight.map((d) => `${packetKinds(d).join("+")} (${d.byteLength} B)`)}; ` +
      `replays: requests in 0-RTT +${after.early - before.early}, ` +
      `425 Too Early +${after.tooEarly - before.tooEarly}, runs +${after.ran - before.ran}; ` +
      `answers: ${JSON.stringify(answers)}`,
  );

  assert.equal(await runs(logOf(files), body), 1, "the replayed POST did not run the function");
  assert.equal(after.ran, before.ran, "no invocation since the replays");
  // Not vacuous: a replay got through QUIC and TLS (the ticket accepted again,
  // 0-RTT decrypted) to the gateway's replay guard, which refused it.
  assert.ok(
    answers.some((a) => a.kinds[0]?.startsWith("initial")),
    `the gateway opened a connection for a replay: ${JSON.stringify(answers)}`,
  );
  assert.ok(after.early > before.early, "a replayed request reached the gateway in 0-RTT");
  assert.equal(
    after.tooEarly - before.tooEarly,
    after.early - before.early,
    "every replayed request that reached the gateway got 425 Too Early",
  );

  // Still healthy: fresh invokes work, straight to the gateway (a new origin,
  // so a new session), the second in 0-RTT with a nonce of its own.
  const fresh = ["counter", "--http3", "--gateway", dev.https, "-i", "-d"];
  const third = await invoke([...fresh, "third"], files.env);
  assert.match(third, /^200 /, third);
  assert.match(third, /^0-RTT: not sent \(no session yet\)$/m, third);
  const fourth = await invoke([...fresh, "fourth"], files.env);
  assert.match(fourth, /^200 /, fourth);
  assert.match(fourth, /^0-RTT: sent, accepted$/m, fourth);
  assert.equal(await runs(logOf(files), "third"), 1);
  assert.equal(await runs(logOf(files), "fourth"), 1);
  assert.equal((await fetch(`${dev.http}/healthz`)).status, 200);
});

// The public listener's ticket key is kept on disk (so that sessions resume across
// restarts of qfaas dev): a 0-RTT flight recorded before a restart stays decryptable
// by the next process, whose memory of nonces is empty. The guard refuses nonces
// made before it started (h3/replay_guard.ts).
Deno.test({
  name: "gateway: a recorded 0-RTT POST replayed after qfaas dev restarts does not run again",
  async fn() {
    await using files = await project(FILES);
    const body = `second-${crypto.randomUUID()}`;
    let flight: Uint8Array[];
    let httpsPort: number;
    {
      await using dev = await startDev(files);
      httpsPort = dev.httpsPort;
      flight = await recordZeroRttPost(files, dev, body);
    }
    await using dev = await startDev(files, { httpsPort });
    const { before, after } = await replayFlight(dev, flight);
    assert.equal(await runs(logOf(files), body), 1, "the replayed POST did not run the function");
    assert.equal(after.ran, before.ran);
    // Not vacuous: the new process decrypted the old flight and refused it at the guard.
    assert.ok(after.early > before.early, "a replayed request reached the new gateway in 0-RTT");
    assert.equal(after.tooEarly - before.tooEarly, after.early - before.early, "each got 425");
  },
});
