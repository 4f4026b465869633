import assert from "node:assert/strict";
import { HttpError } from "./http_error.ts";
import { parseTarget, type Target } from "./target.ts";

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
