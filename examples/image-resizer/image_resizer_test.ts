// image-resizer end to end: a real gateway and real workers on every transport, resizing
// fixture images that sharp makes here and a local server serves (never the internet).
import assert from "node:assert/strict";
import sharp from "sharp";
import { discoverFunctions } from "../../config/mod.ts";
import { type Gateway, startGateway } from "../../gateway/mod.ts";
import type { InvokerFunction } from "../../invoker/mod.ts";
import { createCa } from "../../pki/mod.ts";
import { MemoryStore } from "../../store/mod.ts";

const APP = new URL(".", import.meta.url).pathname;
const TRANSPORTS = ["h3", "tls", "tcp"] as const;
const MAX_BYTES = 200_000;

const solid = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: "#3366cc" } });
const bytes = async (image: ReturnType<typeof solid>) => new Uint8Array(await image.toBuffer());

const PNG = await bytes(solid(64, 48).png());
const JPEG = await bytes(solid(64, 48).jpeg());
const WEBP = await bytes(solid(64, 48).webp());
const HUGE_PNG = await bytes(solid(3000, 3000).png()); // 9 MP in a few kB
const NOISE = Uint8Array.from({ length: MAX_BYTES + 1000 }, (_, i) => (i * 131 + 7) & 0xff);

/** The origin the function fetches from; `close()` ends it and any request it holds. */
function origin() {
  const held: (() => void)[] = [];
  const image = (body: Uint8Array<ArrayBuffer>, type: string) =>
    new Response(body, {
      headers: { "content-type": type, "last-modified": "Mon, 01 Jun 2026 00:00:00 GMT" },
    });
  const routes: Record<string, () => Response | Promise<Response>> = {
    "/a.png": () => image(PNG, "image/png"),
    "/a.jpg": () => image(JPEG, "image/jpeg"),
    "/a.webp": () => image(WEBP, "image/webp"),
    "/untyped": () => image(PNG, "application/octet-stream"),
    "/page.html": () =>
      new Response("<h1>not an image</h1>", { headers: { "content-type": "text/html" } }),
    "/garbage": () => image(NOISE.slice(0, 1000), "application/octet-stream"),
    "/big.png": () => image(NOISE, "image/png"),
    "/big-stream.png": () =>
      new Response(ReadableStream.from([NOISE.slice(0, 150_000), NOISE.slice(150_000)]), {
        headers: { "content-type": "image/png" },
      }),
    "/huge.png": () => image(HUGE_PNG, "image/png"),
    "/slow.png": () =>
      new Promise<Response>((resolve) => held.push(() => resolve(image(PNG, "image/png")))),
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const route = routes[new URL(request.url).pathname];
    return route ? route() : new Response("no such image", { status: 404 });
  });
  return {
    url: (path: string) => `http://127.0.0.1:${server.addr.port}${path}`,
    async close() {
      for (const release of held) release();
      await server.shutdown();
    },
  };
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** A gateway serving examples/image-resizer, its workers on `transport`. */
async function gateway(transport: (typeof TRANSPORTS)[number]): Promise<Gateway> {
  const found = await discoverFunctions(APP);
  assert.deepEqual(found.problems, []);
  assert.deepEqual(found.functions.map((f) => f.fn.name), ["image-resizer"]);
  const functions: InvokerFunction[] = found.functions.map((f) => ({
    ...f.fn,
    transport,
    env: {
      ...f.fn.env,
      IMAGE_MAX_BYTES: String(MAX_BYTES),
      IMAGE_MAX_PIXELS: "4MP",
      IMAGE_FETCH_TIMEOUT: "1s",
    },
  }));
  return await startGateway({
    functions,
    ca: await createCa("QFaaS image-resizer test CA"),
    store: new MemoryStore(),
    listen: { httpPort: 0, httpsPort: 0 },
  });
}

for (const transport of TRANSPORTS) {
  Deno.test(`image-resizer over ${transport}: resizes PNG, JPEG and WebP with every fit, and explains bad input`, async (t) => {
    const images = origin();
    const gw = await gateway(transport);
    const call = async (query: Record<string, string>, init?: RequestInit) => {
      const search = new URLSearchParams(query);
      const response = await fetch(`${gw.http}/function/image-resizer?${search}`, init);
      assert.equal(response.headers.get("x-qfaas-transport"), transport);
      return response;
    };
    const failure = async (query: Record<string, string>, status: number, code: string) => {
      const response = await call(query);
      assert.equal(response.status, status, JSON.stringify(query));
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      const body: { error: string; code: string } = await response.json();
      assert.equal(body.code, code, body.error);
      assert.ok(body.error.length > 10, body.error);
      return body.error;
    };
    try {
      await t.step("each format, each fit: decoded size and format, caching headers", async () => {
        const cases = [
          {
            path: "/a.png",
            type: "image/png",
            format: "png",
            width: 32,
            height: 32,
            fit: "cover",
            expect: [32, 32],
          },
          {
            path: "/a.jpg",
            type: "image/jpeg",
            format: "jpeg",
            width: 32,
            height: 32,
            fit: "contain",
            expect: [32, 32],
          },
          {
            path: "/a.webp",
            type: "image/webp",
            format: "webp",
            width: 32,
            height: 32,
            fit: "inside",
            expect: [32, 24],
          },
          {
            path: "/a.png",
            type: "image/png",
            format: "png",
            width: 32,
            height: 32,
            fit: "outside",
            expect: [43, 32],
          },
          {
            path: "/a.jpg",
            type: "image/jpeg",
            format: "jpeg",
            width: 100,
            height: 10,
            fit: "fill",
            expect: [100, 10],
          },
          {
            path: "/a.webp",
            type: "image/webp",
            format: "webp",
            width: 16,
            fit: undefined,
            expect: [16, 12],
          },
          {
            path: "/untyped",
            type: "image/png",
            format: "png",
            height: 24,
            fit: undefined,
            expect: [32, 24],
          },
        ];
        for (const { path, type, format, expect, ...size } of cases) {
          const query: Record<string, string> = { url: images.url(path) };
          for (const [key, value] of Object.entries(size)) {
            if (value !== undefined) query[key] = String(value);
          }
          const response = await call(query);
          assert.equal(response.status, 200, `${path} ${JSON.stringify(size)}`);
          assert.equal(response.headers.get("content-type"), type);
          assert.equal(response.headers.get("cache-control"), "public, max-age=86400");
          assert.match(response.headers.get("etag") ?? "", /^"[A-Za-z0-9_-]{22}"$/);
          assert.equal(response.headers.get("x-image-original-size"), "64x48");
          const body = new Uint8Array(await response.arrayBuffer());
          assert.equal(response.headers.get("content-length"), String(body.byteLength));
          const metadata = await sharp(body).metadata();
          assert.equal(metadata.format, format);
          assert.deepEqual(
            [metadata.width, metadata.height],
            expect,
            `${path} ${JSON.stringify(size)}`,
          );
        }
      });

      await t.step("the same request again: the same ETag, and 304 for if-none-match", async () => {
        const query = { url: images.url("/a.png"), width: "10" };
        const first = await call(query);
        await first.body?.cancel();
        const etag = first.headers.get("etag") ?? "";
        assert.equal(first.headers.get("last-modified"), "Mon, 01 Jun 2026 00:00:00 GMT");
        const again = await call(query, { headers: { "if-none-match": etag } });
        assert.equal(again.status, 304);
        assert.equal(again.headers.get("etag"), etag);
        assert.equal(again.headers.get("cache-control"), "public, max-age=86400");
        await again.body?.cancel();
      });

      await t.step("bad parameters: 400", async () => {
        await failure({}, 400, "missing_url");
        await failure({ url: "not a url", width: "10" }, 400, "invalid_url");
        await failure({ url: "file:///etc/passwd", width: "10" }, 400, "invalid_url");
        await failure({ url: images.url("/a.png") }, 400, "missing_size");
        await failure({ url: images.url("/a.png"), width: "0" }, 400, "invalid_width");
        await failure({ url: images.url("/a.png"), width: "wide" }, 400, "invalid_width");
        await failure({ url: images.url("/a.png"), height: "99999" }, 400, "invalid_height");
        await failure(
          { url: images.url("/a.png"), width: "10", fit: "stretch" },
          400,
          "invalid_fit",
        );
      });

      await t.step(
        "the origin fails: 502 unreachable or an error status, 504 too slow",
        async () => {
          const unreachable = `http://127.0.0.1:${closedPort()}/a.png`;
          await failure({ url: unreachable, width: "10" }, 502, "origin_unreachable");
          await failure({ url: images.url("/missing.png"), width: "10" }, 502, "origin_error");
          const started = performance.now();
          await failure({ url: images.url("/slow.png"), width: "10" }, 504, "origin_timeout");
          const elapsed = performance.now() - started;
          assert.ok(elapsed >= 900 && elapsed < 4000, `timed out after ${elapsed} ms`);
        },
      );

      await t.step("not an image: 415, by the origin's type or by the bytes", async () => {
        await failure({ url: images.url("/page.html"), width: "10" }, 415, "not_an_image");
        await failure({ url: images.url("/garbage"), width: "10" }, 415, "not_an_image");
      });

      await t.step("too large: 413 for bytes (declared or streamed) and for pixels", async () => {
        const declared = await failure(
          { url: images.url("/big.png"), width: "10" },
          413,
          "too_many_bytes",
        );
        assert.match(declared, new RegExp(`${MAX_BYTES + 1000} bytes`));
        await failure({ url: images.url("/big-stream.png"), width: "10" }, 413, "too_many_bytes");
        const pixels = await failure(
          { url: images.url("/huge.png"), width: "10" },
          413,
          "too_many_pixels",
        );
        assert.match(pixels, /9000000 pixels/);
        await failure(
          { url: images.url("/a.png"), width: "4000", height: "4000" },
          413,
          "result_too_large",
        );
      });
    } finally {
      await gw.shutdown();
      await images.close();
    }
  });
}
