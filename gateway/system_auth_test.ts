// The admin API's credentials: the pure checks, then the gateway app with them
// (a real Invoker whose invoke is stubbed, so no worker starts).
import assert from "node:assert/strict";
import { Invoker } from "../invoker/mod.ts";
import { createCa } from "../pki/mod.ts";
import { MemoryStore } from "../store/mod.ts";
import { createGatewayApp, type GatewayApp } from "./app.ts";
import {
  checkAuthorization,
  generateSystemAuth,
  isLoopbackHost,
  type SystemAuth,
  systemAuthMiddleware,
  timingSafeEqual,
} from "./system_auth.ts";
import { GatewayTelemetry } from "./telemetry.ts";

const AUTH: SystemAuth = { user: "admin", password: "s3cret-Pass_word" };
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

Deno.test("generateSystemAuth() makes user admin and 32 random bytes as base64url", () => {
  const one = generateSystemAuth();
  const two = generateSystemAuth();
  assert.equal(one.user, "admin");
  assert.match(one.password, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Uint8Array.fromBase64(one.password, { alphabet: "base64url" }).length, 32);
  assert.notEqual(one.password, two.password);
});

Deno.test("isLoopbackHost() is true for loopback only; any-addresses and names count as exposed", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ["::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (
    const host of [
      "0.0.0.0",
      "::",
      "10.213.0.1",
      "192.168.1.5",
      "128.0.0.1",
      "127.0.0.256",
      "127.0.0",
      "localhost.example.com",
      "myhost",
      "fe80::1",
      "",
    ]
  ) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

Deno.test("timingSafeEqual() compares whole strings, any length", () => {
  assert.equal(timingSafeEqual("abc", "abc"), true);
  assert.equal(timingSafeEqual("abd", "abc"), false);
  assert.equal(timingSafeEqual("ab", "abc"), false, "a prefix");
  assert.equal(timingSafeEqual("abcd", "abc"), false, "an extension");
  assert.equal(timingSafeEqual("", "abc"), false);
  assert.equal(timingSafeEqual("", ""), true);
  assert.equal(timingSafeEqual("é", "é"), true);
  assert.equal(timingSafeEqual("\0", ""), false, "a NUL is not nothing");
});

Deno.test("checkAuthorization() accepts basic and bearer, and says why it refuses", () => {
  assert.equal(checkAuthorization(basic("admin", AUTH.password), AUTH), null);
  assert.equal(
    checkAuthorization(`bearer ${AUTH.password}`, AUTH),
    null,
    "scheme case-insensitive",
  );
  assert.equal(checkAuthorization(`Bearer ${AUTH.password}`, AUTH), null);
  assert.equal(checkAuthorization(`BASIC  ${btoa(`admin:${AUTH.password}`)}`, AUTH), null);
  assert.equal(checkAuthorization(null, AUTH), "missing");
  assert.equal(checkAuthorization("", AUTH), "missing");
  assert.equal(checkAuthorization(basic("admin", "wrong"), AUTH), "wrong");
  assert.equal(checkAuthorization(basic("root", AUTH.password), AUTH), "wrong");
  assert.equal(checkAuthorization(basic("admin", `${AUTH.password}x`), AUTH), "wrong");
  assert.equal(checkAuthorization(basic("admin", ""), AUTH), "wrong");
  assert.equal(checkAuthorization(basic("", ""), AUTH), "wrong");
  assert.equal(checkAuthorization("Bearer wrong", AUTH), "wrong");
  assert.equal(checkAuthorization(`Bearer ${btoa(`admin:${AUTH.password}`)}`, AUTH), "wrong");
  assert.equal(checkAuthorization(`Basic ${btoa(AUTH.password)}`, AUTH), "malformed", "no colon");
  assert.equal(checkAuthorization("Basic !!!", AUTH), "malformed");
  assert.equal(checkAuthorization("Basic YWRtaW46", AUTH), "wrong", "admin: with no password");
  assert.equal(checkAuthorization(`Basic ${btoa("admin:\xff")}`, AUTH), "malformed", "not UTF-8");
  assert.equal(checkAuthorization(`Digest ${AUTH.password}`, AUTH), "malformed");
  assert.equal(checkAuthorization(AUTH.password, AUTH), "malformed", "no scheme");
  assert.equal(checkAuthorization(`Bearer ${AUTH.password} extra`, AUTH), "malformed");
});

Deno.test("systemAuthMiddleware() refuses an empty password or a user with a colon", () => {
  assert.throws(() => systemAuthMiddleware({ user: "admin", password: "" }), RangeError);
  assert.throws(() => systemAuthMiddleware({ user: "ad:min", password: "x" }), RangeError);
});

/** An invoker whose functions all answer "ran NAME" without a worker. */
class StubInvoker extends Invoker {
  override invoke(name: string, _request: Request): Promise<Response> {
    return Promise.resolve(new Response(`ran ${name}`));
  }
}

const ca = await createCa("QFaaS system auth test CA");

async function withApp(
  systemAuth: SystemAuth | undefined,
  body: (app: GatewayApp) => Promise<void>,
): Promise<void> {
  const invoker = new StubInvoker({ ca, store: new MemoryStore() });
  invoker.register({ name: "x", module: "/nonexistent/x.ts" });
  const telemetry = new GatewayTelemetry(() => invoker.workerCounts());
  try {
    await body(createGatewayApp({ invoker, telemetry, systemAuth }));
  } finally {
    await invoker.close();
  }
}

const get = (app: GatewayApp, path: string, authorization?: string) =>
  app.fetch(
    new Request(`http://gateway${path}`, {
      headers: authorization ? { authorization } : {},
    }),
  );

Deno.test("createGatewayApp() with systemAuth: /system and /metrics want credentials", async () => {
  await withApp(AUTH, async (app) => {
    for (const path of ["/system/functions", "/system/function/x", "/metrics"]) {
      const none = await get(app, path);
      assert.equal(none.status, 401, path);
      assert.equal(none.headers.get("www-authenticate"), 'Basic realm="qfaas"');
      assert.match(none.headers.get("content-type") ?? "", /^application\/json/);
      assert.match((await none.json()).error, /authentication required/);

      const wrong = await get(app, path, basic("admin", "not-it"));
      assert.equal(wrong.status, 401, path);
      assert.equal(wrong.headers.get("www-authenticate"), 'Basic realm="qfaas"');
      const text = await wrong.text();
      assert.match(text, /wrong credentials/);
      assert.doesNotMatch(text, /not-it/, "the body never echoes what was sent");

      const right = await get(app, path, basic("admin", AUTH.password));
      assert.equal(right.status, 200, path);
      await right.body?.cancel();
      const bearer = await get(app, path, `Bearer ${AUTH.password}`);
      assert.equal(bearer.status, 200, path);
      await bearer.body?.cancel();
    }
    const list = await get(app, "/system/functions", `Bearer ${AUTH.password}`);
    assert.deepEqual((await list.json()).map((f: { name: string }) => f.name), ["x"]);
  });
});

Deno.test("createGatewayApp() with systemAuth: no way around it by spelling the path another way", async () => {
  await withApp(AUTH, async (app) => {
    // Without auth, the percent-encoded and dot-segment spellings serve the data (Hono
    // decodes, URL parsing resolves "..") — the guard must see the same path the router does.
    for (
      const path of [
        "/system",
        "/system/functions/",
        "/system/functions?x=1",
        "/system//functions",
        "/%73ystem/functions",
        "/system/%66unctions",
        "/system/function/%78",
        "/system/unknown",
        "/%6detrics",
        "/system/../metrics",
        "/function/../system/functions",
      ]
    ) {
      const response = await get(app, path);
      assert.equal(response.status, 401, path);
      await response.body?.cancel();
    }
    const head = await app.fetch(
      new Request("http://gateway/system/functions", { method: "HEAD" }),
    );
    assert.equal(head.status, 401, "HEAD");
  });
});

Deno.test("createGatewayApp() with systemAuth: /function/* and /healthz stay open", async () => {
  await withApp(AUTH, async (app) => {
    const fn = await get(app, "/function/x/a?b=1");
    assert.equal(fn.status, 200);
    assert.equal(await fn.text(), "ran x");
    const posted = await app.fetch(
      new Request("http://gateway/function/x", { method: "POST", body: "hi" }),
    );
    assert.equal(await posted.text(), "ran x");
    const health = await get(app, "/healthz");
    assert.deepEqual(await health.json(), { status: "ok" });
    // A wrong credential on an open route changes nothing.
    const withWrong = await get(app, "/function/x", "Bearer wrong");
    assert.equal(withWrong.status, 200);
    await withWrong.body?.cancel();
  });
});

Deno.test("createGatewayApp() without systemAuth: everything open, as on loopback", async () => {
  await withApp(undefined, async (app) => {
    for (const path of ["/system/functions", "/system/function/x", "/metrics", "/healthz"]) {
      const response = await get(app, path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("www-authenticate"), null);
      await response.body?.cancel();
    }
  });
});
