// The gateway's public HTTP/3 listener (with Retry) against peers we did not
// write: ngtcp2's gtlsclient and headless Chromium.
import assert from "node:assert/strict";
import { type Gateway, startGateway } from "../gateway/mod.ts";
import { createCa, spkiSha256 } from "../pki/mod.ts";
import { MemoryStore } from "../store/mod.ts";
import { chromiumResult, gtlsclient, tempDir } from "./_peers.ts";

const ca = await createCa("QFaaS interop CA");
const examples = new URL("../examples/functions/", import.meta.url).pathname;

async function gateway(): Promise<Gateway & AsyncDisposable> {
  const started = await startGateway({
    functions: [
      { name: "echo", module: `${examples}echo/main.ts` },
      { name: "megabyte", module: `${examples}megabyte/main.ts` },
      { name: "page", module: new URL("./testdata/page.ts", import.meta.url).pathname },
    ],
    ca,
    store: new MemoryStore(),
    listen: { httpPort: 0, httpsPort: 0 },
  });
  return Object.assign(started, { [Symbol.asyncDispose]: () => started.shutdown() });
}

/** The value of one metric line, or 0 when it has not been counted yet. */
async function metric(gw: Gateway, line: string): Promise<number> {
  const text = await (await fetch(`${gw.http}/metrics`)).text();
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

Deno.test("gateway interop: ngtcp2 gtlsclient invokes over h3 through Retry, and resumes in 0-RTT", async () => {
  await using gw = await gateway();
  await using dir = await tempDir();
  const url = `https://localhost:${gw.h3Port}/function/echo`;
  const client = gtlsclient(dir.path, gw.h3Port!);
  const get = await client(`${url}/first?x=1`);
  assert.equal(get.code, 0, get.stderr.slice(-2000));
  assert.equal(await Deno.readTextFile(`${dir.path}/first?x=1`), "GET /first?x=1\n");

  const resumed = await client(`${url}/second`);
  assert.equal(resumed.code, 0, resumed.stderr.slice(-2000));
  assert.equal(await Deno.readTextFile(`${dir.path}/second`), "GET /second\n");
  assert.equal(
    await metric(gw, 'qfaas_requests_total{protocol="h3",early_data="true"}'),
    1,
    "the resumed GET arrived in 0-RTT, after the Retry round trip",
  );

  // A POST in 0-RTT carries no nonce: the gateway cannot tell it from a replay.
  const post = await client(`${url}/third`, "pay once");
  assert.equal(post.code, 0, post.stderr.slice(-2000));
  assert.match(await Deno.readTextFile(`${dir.path}/third`), /too early/);
  assert.equal(await metric(gw, 'qfaas_too_early_total{protocol="h3"}'), 1);
  assert.equal(
    await metric(gw, 'qfaas_invocations_total{function="echo",code="200"}'),
    2,
    "the refused POST never reached the function",
  );
});

Deno.test("gateway interop: headless Chromium loads a function's page and a 1 MB function over h3", async () => {
  await using gw = await gateway();
  const origin = `localhost:${gw.h3Port}`;
  const out = await chromiumResult(
    `https://${origin}/function/page`,
    await spkiSha256(gw.certificate),
  );
  assert.deepEqual(JSON.parse(out), { nav: "h3", big: "h3", size: 1024 * 1024 });
  assert.ok(await metric(gw, 'qfaas_requests_total{protocol="h3",early_data="false"}') >= 2);
});
