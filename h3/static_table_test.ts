import assert from "node:assert/strict";
import { findStatic, STATIC_TABLE, staticEntry } from "./static_table.ts";

Deno.test("STATIC_TABLE has the 99 entries of RFC 9204 Appendix A", () => {
  assert.equal(STATIC_TABLE.length, 99);
});

Deno.test("STATIC_TABLE matches RFC 9204 Appendix A at spot-checked indices", () => {
  const expected: [number, string, string][] = [
    [0, ":authority", ""],
    [1, ":path", "/"],
    [2, "age", "0"],
    [14, "set-cookie", ""],
    [15, ":method", "CONNECT"],
    [16, ":method", "DELETE"],
    [17, ":method", "GET"],
    [18, ":method", "HEAD"],
    [19, ":method", "OPTIONS"],
    [20, ":method", "POST"],
    [21, ":method", "PUT"],
    [22, ":scheme", "http"],
    [23, ":scheme", "https"],
    [24, ":status", "103"],
    [25, ":status", "200"],
    [26, ":status", "304"],
    [27, ":status", "404"],
    [28, ":status", "503"],
    [29, "accept", "*/*"],
    [31, "accept-encoding", "gzip, deflate, br"],
    [41, "cache-control", "public, max-age=31536000"],
    [46, "content-type", "application/json"],
    [52, "content-type", "text/html; charset=utf-8"],
    [54, "content-type", "text/plain;charset=utf-8"],
    [56, "strict-transport-security", "max-age=31536000"],
    [58, "strict-transport-security", "max-age=31536000; includesubdomains; preload"],
    [62, "x-xss-protection", "1; mode=block"],
    [63, ":status", "100"],
    [64, ":status", "204"],
    [65, ":status", "206"],
    [66, ":status", "302"],
    [67, ":status", "400"],
    [68, ":status", "403"],
    [69, ":status", "421"],
    [70, ":status", "425"],
    [71, ":status", "500"],
    [72, "accept-language", ""],
    [73, "access-control-allow-credentials", "FALSE"],
    [74, "access-control-allow-credentials", "TRUE"],
    [81, "access-control-request-method", "get"],
    [83, "alt-svc", "clear"],
    [85, "content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'"],
    [97, "x-frame-options", "deny"],
    [98, "x-frame-options", "sameorigin"],
  ];
  for (const [index, name, value] of expected) {
    assert.deepEqual(STATIC_TABLE[index], [name, value], `index ${index}`);
    assert.deepEqual(staticEntry(index), [name, value], `staticEntry(${index})`);
  }
});

Deno.test("STATIC_TABLE names are non-empty and lowercase", () => {
  for (const [index, [name]] of STATIC_TABLE.entries()) {
    assert.ok(name.length > 0, `index ${index} has an empty name`);
    assert.equal(name, name.toLowerCase(), `index ${index} name ${name} is not lowercase`);
  }
});

Deno.test("STATIC_TABLE holds no duplicate name and value pair", () => {
  const seen = new Map<string, number>();
  for (const [index, [name, value]] of STATIC_TABLE.entries()) {
    const key = JSON.stringify([name, value]);
    assert.equal(seen.get(key), undefined, `index ${index} repeats index ${seen.get(key)}`);
    seen.set(key, index);
  }
});

Deno.test("STATIC_TABLE and its entries are frozen", () => {
  assert.ok(Object.isFrozen(STATIC_TABLE));
  assert.ok(STATIC_TABLE.every((entry) => Object.isFrozen(entry)));
});

Deno.test("findStatic() prefers an exact name and value match", () => {
  assert.deepEqual(findStatic(":method", "GET"), { index: 17, exact: true });
  assert.deepEqual(findStatic(":status", "200"), { index: 25, exact: true });
  assert.deepEqual(findStatic(":status", "500"), { index: 71, exact: true });
  assert.deepEqual(findStatic(":authority", ""), { index: 0, exact: true });
  assert.deepEqual(findStatic("access-control-allow-headers", "*"), { index: 75, exact: true });
  assert.deepEqual(findStatic("x-frame-options", "sameorigin"), { index: 98, exact: true });
});

Deno.test("findStatic() finds every entry by its exact name and value", () => {
  for (const [index, [name, value]] of STATIC_TABLE.entries()) {
    assert.deepEqual(findStatic(name, value), { index, exact: true });
  }
});

Deno.test("findStatic() falls back to the lowest index with the name", () => {
  assert.deepEqual(findStatic(":status", "201"), { index: 24, exact: false });
  assert.deepEqual(findStatic(":method", "PATCH"), { index: 15, exact: false });
  assert.deepEqual(findStatic(":authority", "example.com"), { index: 0, exact: false });
  assert.deepEqual(findStatic("access-control-allow-headers", "x-custom"), {
    index: 33,
    exact: false,
  });
  assert.deepEqual(findStatic("user-agent", "deno"), { index: 95, exact: false });
  // Values are matched exactly: case differs from the table's "GET".
  assert.deepEqual(findStatic(":method", "get"), { index: 15, exact: false });
});

Deno.test("findStatic() returns undefined for a name not in the table", () => {
  assert.equal(findStatic("x-unknown", ""), undefined);
  assert.equal(findStatic("content-language", "en"), undefined);
  assert.equal(findStatic("", ""), undefined);
  // Names are matched exactly: the caller lowercases them.
  assert.equal(findStatic("Content-Type", "application/json"), undefined);
});

Deno.test("staticEntry() returns undefined outside 0..98 and for non-integers", () => {
  for (const index of [-1, 99, 1e9, 1.5, NaN, Infinity, -0.5]) {
    assert.equal(staticEntry(index), undefined, `staticEntry(${index})`);
  }
  assert.deepEqual(staticEntry(-0), [":authority", ""]);
});
