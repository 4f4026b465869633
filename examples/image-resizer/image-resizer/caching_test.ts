import assert from "node:assert/strict";
import { cachingHeaders, entityTag, notModified } from "./caching.ts";

Deno.test("entityTag() is a quoted digest: equal bytes, equal tags; other bytes, other tags", async () => {
  const a = await entityTag(new Uint8Array([1, 2, 3]));
  assert.match(a, /^"[A-Za-z0-9_-]{22}"$/);
  assert.equal(await entityTag(new Uint8Array([1, 2, 3])), a);
  assert.notEqual(await entityTag(new Uint8Array([1, 2, 4])), a);
});

Deno.test("notModified() matches a listed, weak or wildcard tag, and nothing else", () => {
  assert.equal(notModified(null, '"x"'), false);
  assert.equal(notModified('"x"', '"x"'), true);
  assert.equal(notModified('"a", W/"x"', '"x"'), true);
  assert.equal(notModified("*", '"x"'), true);
  assert.equal(notModified('"y"', '"x"'), false);
});

Deno.test("cachingHeaders() makes the result publicly cacheable for max-age", () => {
  assert.deepEqual(cachingHeaders('"x"', 60), {
    "cache-control": "public, max-age=60",
    etag: '"x"',
  });
});
