// `qfaas dev --host <not loopback>` as a user runs it: the admin API
// (/system/*, /metrics) wants the credentials it printed, function routes and
// /healthz stay open, and `qfaas list` gets in with $QFAAS_PASSWORD. On
// loopback nothing changes unless --auth asks for it.
//
// The address is a dummy interface made for the test (root and iproute2: not
// reachable from other hosts, removed afterwards), else an address this host
// already has; with neither, the exposed-host test is skipped.
import assert from "node:assert/strict";
import { type DevProcess, project, qfaasArgv, startDev } from "./_dev_process.ts";

const ECHO = `export default {
  async fetch(request: Request): Promise<Response> {
    return new Response(\`\${request.method} \${new URL(request.url).pathname} \${await request.text()}\\n\`);
  },
};
`;

const decoder = new TextDecoder();

/** A non-loopback IPv4 address of this host, and how to give it back. */
interface Address extends AsyncDisposable {
  address: string;
}

async function ip(args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("ip", { args, stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false; // no iproute2
  }
}

/** Makes a dummy interface with 10.213.0.1/32 (root), else finds an address this host has. */
async function exposedAddress(): Promise<Address | null> {
  const name = `qfaasauth${Deno.pid % 10000}`;
  const address = "10.213.0.1";
  if (Deno.uid() === 0 && await ip(["link", "add", name, "type", "dummy"])) {
    const up = await ip(["addr", "add", `${address}/32`, "dev", name]) &&
      await ip(["link", "set", name, "up"]);
    const remove = async () => void await ip(["link", "del", name]);
    if (up) return { address, [Symbol.asyncDispose]: remove };
    await remove();
  }
  const own = Deno.networkInterfaces().find((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.")
  );
  return own ? { address: own.address, [Symbol.asyncDispose]: async () => {} } : null;
}

/** The user and password `qfaas dev` printed. */
async function printedCredentials(dev: DevProcess): Promise<{ user: string; password: string }> {
  const [, user, password] = await dev.waitFor(/^\s+auth\s+.*\buser (\S+), password (\S+)/);
  return { user, password };
}

/** Runs `qfaas ARGS` to the end. */
async function qfaas(args: string[], env: Record<string, string>) {
  const [program, argv] = qfaasArgv("deno", args);
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args: argv,
    env,
    stdin: "null",
  }).output();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

async function status(url: string, headers: HeadersInit = {}): Promise<Response> {
  const response = await fetch(url, { headers });
  await response.body?.cancel();
  return response;
}

const canExpose = Deno.uid() === 0 ||
  Deno.networkInterfaces().some((i) => i.family === "IPv4" && !i.address.startsWith("127."));

Deno.test({
  name:
    "qfaas dev --host <not loopback>: /system and /metrics want the printed credentials, functions stay open",
  ignore: !canExpose,
  async fn() {
    await using exposed = await exposedAddress();
    if (!exposed) throw new Error("no non-loopback address to bind (and none could be made)");
    await using files = await project({ "echo/main.ts": ECHO });
    await using dev = await startDev(files, { args: ["--host", exposed.address] });
    assert.equal(new URL(dev.http).hostname, exposed.address);
    const { user, password } = await printedCredentials(dev);
    assert.equal(user, "admin");
    assert.match(password, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(
      dev.lines.some((l) => l.includes(`curl -u admin:${password} ${dev.http}/system/functions`)),
      `a curl example:\n${dev.lines.join("\n")}`,
    );
    const printed = () => dev.lines.filter((l) => l.includes(password)).length;
    const shownAtStart = printed();

    const basic = `Basic ${btoa(`admin:${password}`)}`;
    for (const path of ["/system/functions", "/system/function/echo", "/metrics"]) {
      const none = await fetch(`${dev.http}${path}`);
      assert.equal(none.status, 401, path);
      assert.equal(none.headers.get("www-authenticate"), 'Basic realm="qfaas"');
      assert.match((await none.json()).error, /authentication required/);

      const wrong = await status(`${dev.http}${path}`, {
        authorization: `Basic ${btoa("admin:not-the-password")}`,
      });
      assert.equal(wrong.status, 401, path);
      assert.equal((await status(`${dev.http}${path}`, { authorization: basic })).status, 200);
      const bearer = await status(`${dev.http}${path}`, { authorization: `Bearer ${password}` });
      assert.equal(bearer.status, 200, path);
    }
    const list = await fetch(`${dev.http}/system/functions`, { headers: { authorization: basic } });
    assert.deepEqual((await list.json()).map((f: { name: string }) => f.name), ["echo"]);

    // OpenFaaS keeps function routes and the health check open.
    const echo = await fetch(`${dev.http}/function/echo/a`, { method: "POST", body: "hi" });
    assert.equal(echo.status, 200);
    assert.equal(await echo.text(), "POST /a hi\n");
    assert.equal((await status(`${dev.http}/healthz`)).status, 200);

    // qfaas list: refused without the password, with a stale one; fine with it.
    const env = files.env;
    const gateway = ["list", "--gateway", dev.http];
    const without = await qfaas(gateway, env);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /wants credentials.*QFAAS_PASSWORD/);
    const stale = await qfaas(gateway, { ...env, QFAAS_PASSWORD: "not-the-password" });
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /refused QFAAS_PASSWORD/);
    const listed = await qfaas(gateway, { ...env, QFAAS_PASSWORD: password });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME\s+RUNTIME.*\necho\s+deno\b/);

    // Nothing it printed since echoes a credential, right or wrong.
    assert.equal(printed(), shownAtStart, "the password is printed once, at start");
    assert.ok(!dev.lines.some((l) => l.includes("not-the-password")), dev.lines.join("\n"));
    assert.equal(await dev.stop(), 0);
  },
});

Deno.test("qfaas dev on loopback: the admin API is open, and --auth closes it", async () => {
  await using files = await project({ "echo/main.ts": ECHO });
  {
    await using dev = await startDev(files);
    await dev.waitFor(/^Try: /);
    assert.ok(!dev.lines.some((l) => /^\s+auth\s/.test(l)), dev.lines.join("\n"));
    assert.equal((await status(`${dev.http}/system/functions`)).status, 200);
    assert.equal((await status(`${dev.http}/metrics`)).status, 200);
  }
  {
    await using dev = await startDev(files, { args: ["--auth"] });
    const { password } = await printedCredentials(dev);
    assert.equal((await status(`${dev.http}/system/functions`)).status, 401);
    const bearer = { authorization: `Bearer ${password}` };
    assert.equal((await status(`${dev.http}/system/functions`, bearer)).status, 200);
    assert.equal((await status(`${dev.http}/metrics`, bearer)).status, 200);
    assert.equal((await status(`${dev.http}/function/echo`)).status, 200);
  }
});
