import assert from "node:assert/strict";
import sharp from "sharp";
import { HttpError } from "./http_error.ts";
import { mediaTypeOf } from "./media_types.ts";
import { resizeImage } from "./resize.ts";

const MAX = 40_000_000;

async function fixture(format: "png" | "jpeg" | "webp" | "gif", width = 64, height = 48) {
  const image = sharp({ create: { width, height, channels: 3, background: "#3366cc" } });
  return new Uint8Array(await image.toFormat(format).toBuffer());
}

async function rejectsWith(promise: Promise<unknown>, status: number, code: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HttpError, String(error));
    assert.equal(error.status, status);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

Deno.test("resizeImage() keeps the format and gives the size of each fit", async () => {
  for (const format of ["png", "jpeg", "webp", "gif"] as const) {
    const input = await fixture(format);
    const cases = [
      { width: 32, height: 32, fit: "cover", expect: [32, 32] },
      { width: 32, height: 32, fit: "inside", expect: [32, 24] },
      { width: 32, height: 32, fit: "outside", expect: [43, 32] },
      { width: 20, height: undefined, fit: "cover", expect: [20, 15] },
      { width: 100, height: 10, fit: "fill", expect: [100, 10] },
    ] as const;
    for (const { expect, ...params } of cases) {
      const resized = await resizeImage(input, params, MAX);
      const metadata = await sharp(resized.bytes).metadata();
      assert.equal(metadata.format, format);
      assert.equal(resized.mediaType, mediaTypeOf(format));
      assert.deepEqual([metadata.width, metadata.height], expect, `${format} ${params.fit}`);
      assert.deepEqual([resized.width, resized.height], expect);
      assert.deepEqual(resized.original, { width: 64, height: 48 });
    }
  }
});

Deno.test("resizeImage() refuses bytes that are not an image, and formats it does not write", async () => {
  const text = new TextEncoder().encode("hello, not an image");
  await rejectsWith(
    resizeImage(text, { width: 1, height: 1, fit: "cover" }, MAX),
    415,
    "not_an_image",
  );
  const svg = new TextEncoder().encode(
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
  );
  await rejectsWith(
    resizeImage(svg, { width: 5, height: 5, fit: "cover" }, MAX),
    415,
    "unsupported_format",
  );
});

Deno.test("resizeImage() refuses an input or a result over the pixel limit, before decoding", async () => {
  const input = await fixture("png", 100, 100);
  await rejectsWith(
    resizeImage(input, { width: 10, height: 10, fit: "cover" }, 9_999),
    413,
    "too_many_pixels",
  );
  await rejectsWith(
    resizeImage(input, { width: 200, height: 200, fit: "cover" }, 20_000),
    413,
    "result_too_large",
  );
  const ok = await resizeImage(input, { width: 10, height: 10, fit: "cover" }, 10_000);
  assert.equal(ok.width, 10);
});
