import assert from "node:assert/strict";
import { watchdogConfig } from "./config.ts";
import {
  decodeSpecialization,
  decodeWorkerSecrets,
  encodeSpecialization,
  encodeWorkerEnv,
  encodeWorkerSecrets,
  formatReady,
  formatStem,
  parseReady,
  parseStem,
  readWorkerSecrets,
  StdinLines,
  WORKER_ENV,
} from "./contract.ts";

Deno.test("encodeWorkerEnv() writes what watchdogConfig() reads back", () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const secrets = decodeWorkerSecrets(
    encodeWorkerSecrets({ tls: { cert: "CERT", key: "KEY", ticketKey } }),
  );
  const config = watchdogConfig(
    encodeWorkerEnv({
      name: "echo-1",
      transport: "h3",
      hostname: "10.0.0.2",
      functionPath: "/fns/echo/main.ts",
      ca: "CA",
      execTimeoutMs: 1500,
      maxInflight: 3,
      maxBodyBytes: 1024,
      allowFfi: true,
      writable: ["/tmp/out", "/data/a,b"],
      sandboxProbed: true,
      replica: ["10.88.0.5:8443", "[fd00::5]:8443"],
    }),
    secrets,
  );
  assert.equal(config.name, "echo-1");
  assert.equal(config.transport, "h3");
  assert.equal(config.hostname, "10.0.0.2");
  assert.equal(config.functionPath, "/fns/echo/main.ts");
  assert.deepEqual(config.tls, { cert: "CERT", key: "KEY", ticketKey });
  assert.equal(config.ca, "CA");
  assert.equal(config.execTimeoutMs, 1500);
  assert.equal(config.maxInflight, 3);
  assert.equal(config.maxBodyBytes, 1024);
  assert.equal(config.allowFfi, true);
  assert.deepEqual(config.writable, ["/tmp/out", "/data/a,b"]);
  assert.equal(config.sandbox, true, "the invoker probed: the worker does not");
  assert.deepEqual(config.replica, ["10.88.0.5:8443", "[fd00::5]:8443"]);
});

Deno.test("encodeWorkerEnv() gives an upstream its of-watchdog variables", () => {
  const env = encodeWorkerEnv({
    name: "py-1",
    transport: "tcp",
    hostname: "127.0.0.1",
    upstream: { fprocess: "python3 index.py", upstreamUrl: "http://127.0.0.1:0" },
  });
  assert.equal(env[WORKER_ENV.fprocess], "python3 index.py");
  assert.equal(env.upstream_url, "http://127.0.0.1:0");
  const config = watchdogConfig(env);
  assert.equal(config.sandbox, "auto", "unprobed: the worker probes bubblewrap itself");
  assert.deepEqual(config.upstream, {
    fprocess: "python3 index.py",
    upstreamUrl: "http://127.0.0.1:0",
  });
  assert.equal(config.tls, null);
});

Deno.test("no key material in the environment: secrets travel on stdin, then the specialization, then its end", async () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const gateway = {
    url: "https://localhost:4433",
    session: crypto.getRandomValues(new Uint8Array(300)),
  };
  const env = encodeWorkerEnv({ name: "echo-1", transport: "h3", hostname: "127.0.0.1" });
  assert.ok(!Object.keys(env).some((name) => /KEY|CERT|SESSION|SECRET/.test(name)), "env names");
  const line = encodeWorkerSecrets({
    tls: { cert: "CERT", key: "-----BEGIN PRIVATE KEY-----", ticketKey },
    gateway,
  });
  const function_ = { QFAAS_FUNCTION: "/fns/echo/main.ts", GREETING: "a\nb" };
  // Written in pieces that split lines, as a pipe may deliver them.
  const text = line + encodeSpecialization(function_);
  const pieces = [text.slice(0, 7), text.slice(7, line.length + 3), text.slice(line.length + 3)];
  const stdin = new StdinLines(new Blob(pieces).stream());
  const secrets = await readWorkerSecrets(stdin);
  assert.deepEqual(secrets, {
    tls: { cert: "CERT", key: "-----BEGIN PRIVATE KEY-----", ticketKey },
    gateway,
  });
  assert.deepEqual(decodeSpecialization((await stdin.next())!), function_);
  await stdin.end();
  assert.deepEqual(
    await readWorkerSecrets(new StdinLines(new Blob([]).stream())),
    {},
    "a tcp worker may have none",
  );
});

Deno.test("StdinLines.end() refuses a stdin with more than the contract's lines", async () => {
  const stdin = new StdinLines(new Blob(["{}\n", '{"env":{}}\n', "more\n"]).stream());
  await stdin.next();
  await stdin.next();
  await assert.rejects(stdin.end(), /more than the contract's lines/);
});

Deno.test("decodeSpecialization() wants an env of strings; the stem line round-trips", () => {
  assert.throws(() => decodeSpecialization("[]"), /not \{"env"/);
  assert.throws(() => decodeSpecialization('{"env":{"A":1}}'), /not \{"env"/);
  assert.deepEqual(parseStem(formatStem("stem-1-2")), { stem: true, worker: "stem-1-2" });
  assert.equal(parseStem(formatReady(1, "w")), null);
});

Deno.test("decodeWorkerSecrets() names the field at fault and never quotes a value", () => {
  const key = "-----BEGIN PRIVATE KEY-----MARKER";
  const cases: [string, RegExp][] = [
    ["not json", /not one JSON object/],
    ["[1]", /not one JSON object/],
    [JSON.stringify({ cert: "C", key }), /cert, key and ticketKey go together/],
    [JSON.stringify({ cert: "C", key, ticketKey: "!!" }), /"ticketKey" is not base64/],
    [JSON.stringify({ cert: "C", key, ticketKey: btoa("short") }), /48 bytes, got 5/],
    [JSON.stringify({ cert: 7, key, ticketKey: "x" }), /"cert" must be a non-empty string/],
    [JSON.stringify({ gatewaySession: btoa("s") }), /gatewaySession needs a gatewayUrl/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => decodeWorkerSecrets(text), (error: Error) => {
      assert.match(error.message, expected);
      assert.ok(!error.message.includes("MARKER"), error.message);
      return true;
    });
  }
});

Deno.test("the ready line round-trips; other lines are not ready lines", () => {
  assert.deepEqual(parseReady(formatReady(4433, "echo-1")), {
    ready: true,
    port: 4433,
    worker: "echo-1",
  });
  assert.equal(parseReady('{"ready":true,"port":"x","worker":"w"}'), null);
  assert.equal(parseReady("hello"), null);
});
