import assert from "node:assert/strict";
import { HttpError } from "./http_error.ts";
import { parseTarget, parseTargetBody, type Target } from "./target.ts";

const parse = (pathAndQuery: string): Target => parseTarget(new URL(`http://f${pathAndQuery}`));

function rejects(pathAndQuery: string, code: string): void {
  assert.throws(() => parse(pathAndQuery), (error: unknown) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 400);
    assert.equal(error.code, code);
    return true;
  });
}

Deno.test("parseTarget() reads host, port, servername and output from the query", () => {
  assert.deepEqual(parse("/?host=example.com"), {
    host: "example.com",
    port: 443,
    servername: "example.com",
    output: "text",
  });
  assert.deepEqual(parse("/?host=example.com&port=8443&servername=other.test&output=json"), {
    host: "example.com",
    port: 8443,
    servername: "other.test",
    output: "json",
  });
});

Deno.test("parseTarget() takes the host from the path, with a port", () => {
  assert.deepEqual(parse("/example.com:8443"), {
    host: "example.com",
    port: 8443,
    servername: "example.com",
    output: "text",
  });
  assert.equal(parse("/example.com/?output=json").output, "json");
});

Deno.test("parseTarget() sends no server name for IP addresses, v4 and v6", () => {
  assert.deepEqual(parse("/?host=127.0.0.1:9"), {
    host: "127.0.0.1",
    port: 9,
    servername: undefined,
    output: "text",
  });
  assert.equal(parse("/?host=::1").host, "::1");
  assert.equal(parse("/?host=[::1]:8443").port, 8443);
  assert.equal(parse("/?host=[::1]:8443").servername, undefined);
});

Deno.test("parseTarget() lets ?port win over a port in the host", () => {
  assert.equal(parse("/?host=example.com:1&port=2").port, 2);
});

Deno.test("parseTarget() rejects missing and malformed input with 400 and a code", () => {
  rejects("/", "missing_host");
  rejects("/?host=", "missing_host");
  rejects("/?host=exa mple.com", "invalid_host");
  rejects("/?host=http://example.com", "invalid_host");
  rejects("/?host=example.com&port=0", "invalid_port");
  rejects("/?host=example.com&port=65536", "invalid_port");
  rejects("/?host=example.com&port=https", "invalid_port");
  rejects("/?host=example.com&servername=a%20b", "invalid_servername");
  rejects("/?host=example.com&output=xml", "invalid_output");
});

const fromBody = (body: string, type: string | null, query = ""): Target =>
  parseTargetBody(new URL(`http://f/${query}`), body, type);

function rejectsBody(body: string, type: string | null, code: string): void {
  assert.throws(() => fromBody(body, type), (error: unknown) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 400);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

Deno.test("parseTargetBody() reads the host from a text body: a name, host:port or a URL", () => {
  const expected = { host: "example.com", port: 443, servername: "example.com", output: "text" };
  assert.deepEqual(fromBody("example.com\n", "text/plain"), expected);
  assert.deepEqual(fromBody("https://Example.com/path", null), expected);
  assert.deepEqual(fromBody("example.com:8443", null, "?output=json"), {
    ...expected,
    port: 8443,
    output: "json",
  });
  assert.deepEqual(fromBody("https://[::1]:8443/", null), {
    host: "::1",
    port: 8443,
    servername: undefined,
    output: "text",
  });
  // The body names the host, not the query.
  assert.equal(fromBody("example.com", null, "?host=other.test").host, "example.com");
});

Deno.test("parseTargetBody() reads JSON fields when the body is JSON", () => {
  assert.deepEqual(
    fromBody(
      JSON.stringify({ host: "10.0.0.2", port: 8443, servername: "origin.test", output: "json" }),
      "application/json; charset=utf-8",
    ),
    { host: "10.0.0.2", port: 8443, servername: "origin.test", output: "json" },
  );
});

Deno.test("parseTargetBody() rejects an empty, malformed or ill-typed body with 400 and a code", () => {
  rejectsBody("", "text/plain", "missing_host");
  rejectsBody("   ", null, "missing_host");
  rejectsBody("{}", "application/json", "missing_host");
  rejectsBody("{", "application/json", "invalid_body");
  rejectsBody("[1]", "application/json", "invalid_body");
  rejectsBody(JSON.stringify({ host: ["a"] }), "application/json", "invalid_body");
  rejectsBody(JSON.stringify({ host: "example.com", port: 0 }), "application/json", "invalid_port");
  rejectsBody("https://", null, "invalid_host");
  rejectsBody("exa mple.com", null, "invalid_host");
});
