// `qfaas invoke --http3` as users run it: a functions directory of their own,
// `qfaas dev` in one process, each `qfaas invoke` in another, sessions kept in
// the cache directory. 0-RTT from the second call on, and across a restart of
// `qfaas dev` on the same port.
import assert from "node:assert/strict";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

const ECHO = `export default {
  async fetch(request: Request): Promise<Response> {
    const body = await request.text();
    return new Response(\`\${request.method} \${new URL(request.url).pathname} \${body}\\n\`);
  },
};
`;

/** A running `qfaas dev` and the URLs it printed. */
interface DevProcess extends AsyncDisposable {
  /** Base URL of HTTP/1.1. */
  http: string;
  /** Base URL of HTTPS (HTTP/3 on the same UDP port). */
  https: string;
  /** Its HTTPS and HTTP/3 port. */
  httpsPort: number;
}

/** Collects a child's output line by line, so its pipe never fills. */
function collect(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const lines: string[] = [];
  const done = (async () => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        onLine(line);
      }
    }
    if (rest) lines.push(rest);
  })();
  return { lines, done };
}

/** Starts `qfaas dev DIR` and resolves once it printed its URLs. */
async function startDev(
  dir: string,
  env: Record<string, string>,
  httpsPort = 0,
): Promise<DevProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "dev",
      dir,
      "--port",
      "0",
      "--https-port",
      String(httpsPort),
      "--no-watch",
    ],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const urls = { http: "", https: "" };
  const printed = Promise.withResolvers<void>();
  const stdout = collect(child.stdout, (line) => {
    urls.http ||= line.match(/^\s*HTTP\/1\.1\s+(http:\S+)/)?.[1] ?? "";
    urls.https ||= line.match(/^\s*HTTPS\s+(https:\S+)/)?.[1] ?? "";
    if (urls.http && urls.https) printed.resolve();
  });
  const stderr = collect(child.stderr, () => {});
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Promise.all([stdout.done, stderr.done]);
  };
  const exited = child.status.then((status) => {
    throw new Error(
      `qfaas dev exited (${status.code}) before printing its URLs:\n${
        [...stdout.lines, ...stderr.lines].join("\n")
      }`,
    );
  });
  try {
    await Promise.race([printed.promise, exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => {}); // it exits when stopped
  return {
    ...urls,
    httpsPort: Number(new URL(urls.https).port),
    [Symbol.asyncDispose]: stop,
  };
}

/** Runs `qfaas invoke ARGS` to the end; fails with its output if it does not succeed. */
async function invoke(args: string[], env: Record<string, string>): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "invoke", ...args],
    env,
    stdin: "null",
  }).output();
  const out = decoder.decode(stdout);
  assert.equal(code, 0, `qfaas invoke ${args.join(" ")} failed:\n${out}${decoder.decode(stderr)}`);
  return out;
}

/** The h3 request counters of a gateway, by early data. */
async function h3Requests(dev: DevProcess): Promise<{ early: number; late: number }> {
  const text = await (await fetch(`${dev.http}/metrics`)).text();
  const count = (early: boolean) => {
    const line = `qfaas_requests_total{protocol="h3",early_data="${early}"} `;
    const found = text.split("\n").find((l) => l.startsWith(line));
    return found ? Number(found.slice(line.length)) : 0;
  };
  return { early: count(true), late: count(false) };
}

Deno.test("qfaas invoke --http3: 0-RTT from the second call on, and after qfaas dev restarts", async () => {
  const functions = await Deno.makeTempDir({ prefix: "qfaas-functions-" });
  const cache = await Deno.makeTempDir({ prefix: "qfaas-cache-" });
  // Every process gets this cache, so the test never touches the user's.
  const env = { XDG_CACHE_HOME: cache, NO_COLOR: "1" };
  try {
    await Deno.mkdir(`${functions}/echo`);
    await Deno.writeTextFile(`${functions}/echo/main.ts`, ECHO);
    let httpsPort: number;
    {
      await using dev = await startDev(functions, env);
      httpsPort = dev.httpsPort;
      const h3 = ["echo", "--http3", "--gateway", dev.https, "-d", "hi", "-i"];

      const first = await invoke(h3, env);
      assert.match(first, /^200 /);
      assert.match(first, /^0-RTT: not sent \(no session yet\)$/m);
      assert.match(first, /POST \/ hi\n$/);
      assert.deepEqual(await h3Requests(dev), { early: 0, late: 1 });

      const second = await invoke(h3, env);
      assert.match(second, /^0-RTT: sent, accepted$/m, second);
      assert.match(second, /POST \/ hi\n$/);
      assert.deepEqual(
        await h3Requests(dev),
        { early: 1, late: 1 },
        "the second call arrived in 0-RTT early data",
      );

      // Without --http3: plain HTTP/1.1, no 0-RTT line.
      const plain = await invoke(["echo", "--gateway", dev.http, "-d", "hi", "-i"], env);
      assert.match(plain, /^200 /);
      assert.doesNotMatch(plain, /0-RTT/);
      assert.match(plain, /POST \/ hi\n$/);
      assert.deepEqual(await h3Requests(dev), { early: 1, late: 1 });
    }
    const sessions = await Deno.stat(`${cache}/qfaas/invoke-sessions.json`);
    assert.equal(sessions.mode! & 0o777, 0o600);
    const ticketKey = await Deno.stat(`${cache}/qfaas/ca/ticket.key`);
    assert.equal(ticketKey.mode! & 0o777, 0o600, "the gateway's ticket key is kept, owner-only");
    {
      // Same cache, same port: the session kept from the last run is still good.
      await using dev = await startDev(functions, env, httpsPort);
      const third = await invoke(
        ["echo", "--http3", "--gateway", dev.https, "-d", "hi", "-i"],
        env,
      );
      assert.match(third, /^0-RTT: sent, accepted$/m, third);
      assert.deepEqual(
        await h3Requests(dev),
        { early: 1, late: 0 },
        "the first call after the restart arrived in 0-RTT early data",
      );
    }
  } finally {
    await Deno.remove(functions, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
});
