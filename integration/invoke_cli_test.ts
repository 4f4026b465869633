// `qfaas invoke --http3` as users run it: a functions directory of their own,
// `qfaas dev` in one process, each `qfaas invoke` in another, sessions kept in
// the cache directory. 0-RTT from the second call on, and across a restart of
// `qfaas dev` on the same port.
import assert from "node:assert/strict";
import { type DevProcess, invoke, project, startDev } from "./_dev_process.ts";

const ECHO = `export default {
  async fetch(request: Request): Promise<Response> {
    const body = await request.text();
    return new Response(\`\${request.method} \${new URL(request.url).pathname} \${body}\\n\`);
  },
};
`;

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
  // Every process gets the project's own cache, so the test never touches the user's.
  await using files = await project({ "echo/main.ts": ECHO });
  const { env } = files;
  const cache = env.XDG_CACHE_HOME;
  {
    let httpsPort: number;
    {
      await using dev = await startDev(files);
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
      await using dev = await startDev(files, { httpsPort });
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
  }
});
