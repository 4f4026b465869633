import assert from "node:assert/strict";
import { isLocalhostName, type Lookup, resolveHost } from "./resolve_host.ts";

const noDns: Lookup = (name) => Promise.reject(new Error(`DNS asked for ${name}`));

Deno.test("resolveHost: localhost names are loopback without a DNS lookup (RFC 6761 §6.3)", async () => {
  for (const name of ["localhost", "LOCALHOST", "localhost.", "api.localhost"]) {
    assert.deepEqual(await resolveHost(name, noDns), { address: "127.0.0.1", family: 4 });
  }
  assert.equal(isLocalhostName("localhost.example.com"), false);
  assert.equal(isLocalhostName("notlocalhost"), false);
});

Deno.test("resolveHost: IP literals pass through; other names go to DNS", async () => {
  assert.deepEqual(await resolveHost("::1", noDns), { address: "::1", family: 6 });
  assert.deepEqual(await resolveHost("10.1.2.3", noDns), { address: "10.1.2.3", family: 4 });
  const asked: string[] = [];
  const fake: Lookup = (name) => {
    asked.push(name);
    return Promise.resolve({ address: "fd00::7", family: 6 });
  };
  assert.deepEqual(await resolveHost("worker.internal", fake), { address: "fd00::7", family: 6 });
  assert.deepEqual(asked, ["worker.internal"]);
  await assert.rejects(resolveHost("no.such.host", noDns), /DNS asked for no.such.host/);
});
