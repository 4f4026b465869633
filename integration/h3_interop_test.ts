// HTTP/3 interoperability with peers we did not write: ngtcp2's gtlsclient and
// gtlsserver (nghttp3 + GnuTLS), and headless Chromium.
import assert from "node:assert/strict";
import { H3Client, type H3RequestInfo, serveH3 } from "../h3/mod.ts";
import { quicheEngine } from "../quic/mod.ts";
import { trustDomain } from "../quic/testing.ts";
import { spkiSha256 } from "../pki/mod.ts";
import {
  binary,
  chromiumResult,
  freeUdpPort,
  gtlsclient,
  tempDir,
  writePrivate,
} from "./_peers.ts";

const domain = await trustDomain();

interface Seen {
  method: string;
  path: string;
  body: string;
  earlyData: boolean;
}

/** Our HTTP/3 server on loopback, recording what it served. */
async function ourServer() {
  const listener = await quicheEngine.listen({
    hostname: "127.0.0.1",
    tls: domain.leaf,
    alpn: ["h3"],
  });
  const seen: Seen[] = [];
  const page = `<!doctype html><html><body><div id="out">pending</div><script>
(async () => {
  const body = await (await fetch("/big")).arrayBuffer();
  const nav = performance.getEntriesByType("navigation")[0].nextHopProtocol;
  const big = performance.getEntriesByName(new URL("/big", location).href)[0].nextHopProtocol;
  document.getElementById("out").textContent = JSON.stringify({ nav, big, size: body.byteLength });
})().catch((e) => (document.getElementById("out").textContent = "error " + e));
</script></body></html>`;
  const server = serveH3(listener, async (req: Request, info: H3RequestInfo) => {
    const path = new URL(req.url).pathname;
    const body = req.body ? await req.text() : "";
    seen.push({ method: req.method, path, body, earlyData: info.earlyData });
    if (path === "/") return new Response(page, { headers: { "content-type": "text/html" } });
    if (path === "/big") return new Response(new Uint8Array(1024 * 1024).fill(65));
    return new Response(`hello ${req.method} ${path} ${body}`.trim());
  });
  return {
    port: listener.addr.port,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("interop: ngtcp2 gtlsclient → our server: GET, POST, and a resumed run in 0-RTT", async () => {
  await using server = await ourServer();
  await using dir = await tempDir();
  const url = `https://localhost:${server.port}`;
  const client = gtlsclient(dir.path, server.port);
  const get = await client(`${url}/first`);
  assert.equal(get.code, 0, get.stderr.slice(-2000));
  assert.equal(await Deno.readTextFile(`${dir.path}/first`), "hello GET /first");

  const post = await client(`${url}/second`, "posted by ngtcp2");
  assert.equal(post.code, 0, post.stderr.slice(-2000));
  assert.equal(
    await Deno.readTextFile(`${dir.path}/second`),
    "hello POST /second posted by ngtcp2",
  );

  const resumed = await client(`${url}/third`);
  assert.equal(resumed.code, 0, resumed.stderr.slice(-2000));
  assert.deepEqual(server.seen.map((s) => [s.method, s.path, s.earlyData]), [
    ["GET", "/first", false],
    ["POST", "/second", true],
    ["GET", "/third", true],
  ]);
});

Deno.test("interop: our client → ngtcp2 gtlsserver: GET and POST", async () => {
  const gtlsserver = binary("gtlsserver", "ngtcp2-server");
  await using dir = await tempDir();
  await writePrivate(`${dir.path}/key.pem`, domain.leaf.key);
  await writePrivate(`${dir.path}/cert.pem`, domain.leaf.cert);
  await Deno.mkdir(`${dir.path}/htdocs`);
  await Deno.writeTextFile(`${dir.path}/htdocs/file.txt`, "served by ngtcp2");
  const port = freeUdpPort();
  const child = new Deno.Command(gtlsserver, {
    args: [
      "-q",
      "-d",
      `${dir.path}/htdocs`,
      "127.0.0.1",
      String(port),
      `${dir.path}/key.pem`,
      `${dir.path}/cert.pem`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const client = new H3Client({ ca: domain.ca.cert });
  try {
    let get: Response | null = null;
    for (let attempt = 0; attempt < 50 && get === null; attempt++) {
      get = await client.fetch(`https://localhost:${port}/file.txt`).catch(async () => {
        await new Promise((r) => setTimeout(r, 100)); // the server is still starting
        return null;
      });
    }
    assert.ok(get, "gtlsserver answered");
    assert.equal(get.status, 200);
    assert.equal(get.headers.get("server"), "nghttp3/ngtcp2 server");
    assert.equal(await get.text(), "served by ngtcp2");
    const post = await client.fetch(`https://localhost:${port}/file.txt`, {
      method: "POST",
      body: "a body",
    });
    assert.equal(post.status, 200);
    assert.equal(await post.text(), "served by ngtcp2");
  } finally {
    await client.close();
    child.kill("SIGTERM");
    await child.status;
  }
});

Deno.test("interop: headless Chromium loads a page and a 1 MB resource from our server over h3", async () => {
  await using server = await ourServer();
  const origin = `localhost:${server.port}`;
  const out = await chromiumResult(`https://${origin}/`, await spkiSha256(domain.leaf.cert));
  assert.deepEqual(JSON.parse(out), { nav: "h3", big: "h3", size: 1024 * 1024 });
  assert.ok(server.seen.some((s) => s.path === "/big"));
});
