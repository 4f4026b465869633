import assert from "node:assert/strict";
import {
  parseRequestHead,
  parseResponseHead,
  parseTrailers,
  requestLines,
  responseLines,
} from "./message.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";
import type { FieldLine } from "./qpack.ts";

const get: FieldLine[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":authority", "example.com:4433"],
  [":path", "/a/b?c=d"],
  ["accept", "*/*"],
];

const messageError = (error: unknown) => {
  assert.ok(error instanceof H3Error, `expected H3Error, got ${error}`);
  assert.equal(error.code, H3ErrorCode.H3_MESSAGE_ERROR);
  assert.equal(error.scope, "stream");
  return true;
};

Deno.test("parseRequestHead() reads pseudo-headers and fields", () => {
  const head = parseRequestHead(get);
  assert.deepEqual(
    { method: head.method, scheme: head.scheme, authority: head.authority, path: head.path },
    { method: "GET", scheme: "https", authority: "example.com:4433", path: "/a/b?c=d" },
  );
  assert.equal(new Headers(head.fields).get("accept"), "*/*");
  assert.equal(head.contentLength, null);
});

Deno.test("parseRequestHead() rejects malformed requests with H3_MESSAGE_ERROR (RFC 9114 §4.1.2)", () => {
  const cases: Record<string, FieldLine[]> = {
    "missing :method": get.filter(([n]) => n !== ":method"),
    "missing :path": get.filter(([n]) => n !== ":path"),
    "empty :path": get.map(([n, v]) => [n, n === ":path" ? "" : v]),
    "missing :scheme": get.filter(([n]) => n !== ":scheme"),
    "missing :authority and host": get.filter(([n]) => n !== ":authority"),
    "duplicate pseudo-header": [...get.slice(0, 4), [":path", "/x"]],
    "pseudo-header after a field": [...get, [":method", "POST"]],
    "response pseudo-header": [[":status", "200"], ...get],
    "unknown pseudo-header": [[":foo", "bar"], ...get],
    "uppercase name": [...get, ["Accept", "x"]],
    "connection-specific field": [...get, ["connection", "keep-alive"]],
    "transfer-encoding": [...get, ["transfer-encoding", "chunked"]],
    "te other than trailers": [...get, ["te", "gzip"]],
    "CR in a value": [...get, ["x-a", "a\r\nb: c"]],
    "NUL in a value": [...get, ["x-a", "a\0b"]],
    "leading space in a value": [...get, ["x-a", " a"]],
    "bad content-length": [...get, ["content-length", "12a"]],
    "conflicting content-lengths": [...get, ["content-length", "1"], ["content-length", "2"]],
    "relative :path": get.map(([n, v]) => [n, n === ":path" ? "a/b" : v]),
    "CONNECT with :path": [[":method", "CONNECT"], [":authority", "x:1"], [":path", "/"]],
  };
  for (const [what, lines] of Object.entries(cases)) {
    assert.throws(() => parseRequestHead(lines), messageError, what);
  }
});

Deno.test("parseRequestHead() accepts host instead of :authority, CONNECT, OPTIONS *, and joins cookies", () => {
  const withHost = parseRequestHead([...get.filter(([n]) => n !== ":authority"), [
    "host",
    "h.example",
  ]]);
  assert.equal(withHost.authority, "h.example");
  assert.equal(parseRequestHead([[":method", "CONNECT"], [":authority", "x:1"]]).authority, "x:1");
  assert.equal(
    parseRequestHead(
      [...get.slice(0, 3), [":path", "*"]].map(([n, v]) => [n, n === ":method" ? "OPTIONS" : v]),
    ).path,
    "*",
  );
  const cookies = parseRequestHead([...get, ["cookie", "a=1"], ["cookie", "b=2"]]);
  assert.equal(new Headers(cookies.fields).get("cookie"), "a=1; b=2");
  assert.equal(
    parseRequestHead([...get, ["content-length", "42"], ["content-length", "42"]]).contentLength,
    42,
  );
});

Deno.test("parseResponseHead() needs a three-digit :status and no request pseudo-headers", () => {
  assert.equal(parseResponseHead([[":status", "204"], ["x-a", "b"]]).status, 204);
  for (
    const lines of [[], [[":status", "20"]], [[":status", "abc"]], [[":status", "200"], [
      ":path",
      "/",
    ]]] as FieldLine[][]
  ) {
    assert.throws(() => parseResponseHead(lines), messageError);
  }
});

Deno.test("parseTrailers() allows no pseudo-headers", () => {
  assert.equal(parseTrailers([["x-checksum", "abc"]]).get("x-checksum"), "abc");
  assert.throws(() => parseTrailers([[":status", "200"]]), messageError);
});

Deno.test("requestLines() and responseLines() drop connection-specific fields", () => {
  const headers = new Headers({
    "connection": "close",
    "x-a": "b",
    "host": "ignored",
    "keep-alive": "1",
  });
  assert.deepEqual(requestLines("POST", new URL("https://w.example:8443/p?q=1"), headers), [
    [":method", "POST"],
    [":scheme", "https"],
    [":authority", "w.example:8443"],
    [":path", "/p?q=1"],
    ["x-a", "b"],
  ]);
  assert.deepEqual(responseLines(200, headers), [[":status", "200"], ["host", "ignored"], [
    "x-a",
    "b",
  ]]);
  assert.deepEqual(
    parseRequestHead(requestLines("GET", new URL("https://a.example/"), new Headers())).path,
    "/",
  );
});
