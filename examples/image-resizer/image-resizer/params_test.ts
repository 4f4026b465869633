import assert from "node:assert/strict";
import { HttpError } from "./http_error.ts";
import { parseParams, type ResizeParams } from "./params.ts";

const parse = (query: string): ResizeParams => parseParams(new URLSearchParams(query), 4096);

function rejects(query: string, code: string): void {
  assert.throws(() => parse(query), (error: unknown) => {
    assert.ok(error instanceof HttpError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.code, code);
    return true;
  });
}

Deno.test("parseParams() reads url, width, height and fit, defaulting fit to cover", () => {
  const params = parse("url=https%3A%2F%2Fimg.test%2Fa.png&width=200&height=100");
  assert.equal(params.url.href, "https://img.test/a.png");
  assert.equal(params.width, 200);
  assert.equal(params.height, 100);
  assert.equal(params.fit, "cover");
  assert.equal(parse("url=http://img.test/a&width=5&fit=inside").fit, "inside");
  assert.equal(parse("url=http://img.test/a&height=5").width, undefined);
  assert.equal(parse("url=http://img.test/a&height=5&width=").width, undefined);
});

Deno.test("parseParams() rejects each bad parameter with 400 and its code", () => {
  rejects("", "missing_url");
  rejects("url=&width=1", "missing_url");
  rejects("url=/relative.png&width=1", "invalid_url");
  rejects("url=file:///etc/passwd&width=1", "invalid_url");
  rejects("url=ftp://img.test/a.png&width=1", "invalid_url");
  rejects("url=http://img.test/a", "missing_size");
  rejects("url=http://img.test/a&width=0", "invalid_width");
  rejects("url=http://img.test/a&width=-3", "invalid_width");
  rejects("url=http://img.test/a&width=1.5", "invalid_width");
  rejects("url=http://img.test/a&width=4097", "invalid_width");
  rejects("url=http://img.test/a&height=abc", "invalid_height");
  rejects("url=http://img.test/a&width=10&fit=stretch", "invalid_fit");
});
