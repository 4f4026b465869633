import assert from "node:assert/strict";
import { watchdogConfig } from "./config.ts";
import { encodeWorkerEnv, WORKER_ENV } from "./worker_env.ts";

Deno.test("encodeWorkerEnv() writes what watchdogConfig() reads back", () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const config = watchdogConfig(encodeWorkerEnv({
    name: "echo-1",
    transport: "h3",
    hostname: "10.0.0.2",
    functionPath: "/fns/echo/main.ts",
    tls: { cert: "CERT", key: "KEY", ticketKey },
    ca: "CA",
    execTimeoutMs: 1500,
    maxInflight: 3,
    maxBodyBytes: 1024,
  }));
  assert.equal(config.name, "echo-1");
  assert.equal(config.transport, "h3");
  assert.equal(config.hostname, "10.0.0.2");
  assert.equal(config.functionPath, "/fns/echo/main.ts");
  assert.deepEqual(config.tls, { cert: "CERT", key: "KEY", ticketKey });
  assert.equal(config.ca, "CA");
  assert.equal(config.execTimeoutMs, 1500);
  assert.equal(config.maxInflight, 3);
  assert.equal(config.maxBodyBytes, 1024);
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
  assert.deepEqual(config.upstream, {
    fprocess: "python3 index.py",
    upstreamUrl: "http://127.0.0.1:0",
  });
  assert.equal(config.tls, null);
});
