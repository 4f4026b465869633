import assert from "node:assert/strict";
import { cacheDir, devCa, devCaCertificate } from "./dev_ca.ts";
import { issueLeaf } from "./certs.ts";
import { mintSession } from "../quic/mod.ts";

Deno.test("cacheDir() follows XDG_CACHE_HOME, else ~/.cache", () => {
  const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  assert.equal(cacheDir(env({ XDG_CACHE_HOME: "/x", HOME: "/h" })), "/x/qfaas");
  assert.equal(cacheDir(env({ HOME: "/h" })), "/h/.cache/qfaas");
  assert.throws(() => cacheDir(env({})), /neither XDG_CACHE_HOME nor HOME/);
});

Deno.test("devCa() creates the CA once (0700 directory, 0600 key) and reuses it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = `${root}/ca`;
    const first = await devCa(dir);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${dir}/ca-key.pem`)).mode! & 0o777, 0o600);
    const second = await devCa(dir);
    assert.equal(second.cert, first.cert, "the same CA, loaded from disk");
    // The loaded CA can still sign: a leaf it issues verifies against the first CA's certificate.
    const leaf = await issueLeaf(second, { commonName: "localhost" });
    const session = mintSession({
      server: { ...leaf, ticketKey: new Uint8Array(48) },
      ca: first.cert,
      serverName: "localhost",
      alpn: ["h3"],
    });
    assert.ok(session.byteLength > 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("devCa() refuses a CA key that others can read", async () => {
  const root = await Deno.makeTempDir();
  try {
    await devCa(`${root}/ca`);
    await Deno.chmod(`${root}/ca/ca-key.pem`, 0o644);
    await assert.rejects(devCa(`${root}/ca`), /lets others read it/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("devCaCertificate() reads the certificate alone, and says how to get one", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = `${root}/ca`;
    await assert.rejects(devCaCertificate(dir), /No dev CA at .*qfaas dev creates it/);
    const ca = await devCa(dir);
    await Deno.remove(`${dir}/ca-key.pem`); // a client never needs the key
    assert.equal(await devCaCertificate(dir), ca.cert);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
