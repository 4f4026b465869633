import assert from "node:assert/strict";
import { DEFAULTS, loadConfig } from "./config.ts";

Deno.test("loadConfig() defaults to 10 MB, 40 MP, 8192 px, 5 s and a day of caching", () => {
  assert.deepEqual(loadConfig({}), {
    maxBytes: 10_000_000,
    maxPixels: 40_000_000,
    maxDimension: 8192,
    fetchTimeoutMs: 5000,
    maxAgeSeconds: 86_400,
  });
  assert.deepEqual(loadConfig({}), DEFAULTS);
});

Deno.test("loadConfig() reads units: bytes, pixels and durations", () => {
  const config = loadConfig({
    IMAGE_MAX_BYTES: "512KiB",
    IMAGE_MAX_PIXELS: "2.5MP",
    IMAGE_MAX_DIMENSION: "1000",
    IMAGE_FETCH_TIMEOUT: "1.5s",
    IMAGE_MAX_AGE: "60",
  });
  assert.deepEqual(config, {
    maxBytes: 524_288,
    maxPixels: 2_500_000,
    maxDimension: 1000,
    fetchTimeoutMs: 1500,
    maxAgeSeconds: 60,
  });
  assert.equal(loadConfig({ IMAGE_MAX_BYTES: "10mb" }).maxBytes, 10_000_000);
  assert.equal(loadConfig({ IMAGE_MAX_BYTES: "2000" }).maxBytes, 2000);
  assert.equal(loadConfig({ IMAGE_FETCH_TIMEOUT: "250ms" }).fetchTimeoutMs, 250);
});

Deno.test("loadConfig() rejects malformed, zero and unit-less-where-wrong values, naming the key", () => {
  const bad: Record<string, string>[] = [
    { IMAGE_MAX_BYTES: "lots" },
    { IMAGE_MAX_BYTES: "0" },
    { IMAGE_MAX_BYTES: "5MP" },
    { IMAGE_MAX_PIXELS: "-1" },
    { IMAGE_MAX_DIMENSION: "1k" },
    { IMAGE_FETCH_TIMEOUT: "5h" },
  ];
  for (const env of bad) {
    assert.throws(() => loadConfig(env), TypeError, Object.keys(env)[0]);
  }
});
