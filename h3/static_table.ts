/**
 * The QPACK static table (RFC 9204 Appendix A): 99 fixed field lines, indices
 * 0..98, that both peers know without any negotiation.
 *
 * @module
 */

/**
 * The 99 static table entries as [name, value], in index order (RFC 9204 Appendix A).
 * Frozen: the table is shared by every encoder and decoder and must never change.
 */
export const STATIC_TABLE: readonly (readonly [name: string, value: string])[] = Object.freeze(
  ([
    [":authority", ""],
    [":path", "/"],
    ["age", "0"],
    ["content-disposition", ""],
    ["content-length", "0"],
    ["cookie", ""],
    ["date", ""],
    ["etag", ""],
    ["if-modified-since", ""],
    ["if-none-match", ""],
    ["last-modified", ""],
    ["link", ""],
    ["location", ""],
    ["referer", ""],
    ["set-cookie", ""],
    [":method", "CONNECT"],
    [":method", "DELETE"],
    [":method", "GET"],
    [":method", "HEAD"],
    [":method", "OPTIONS"],
    [":method", "POST"],
    [":method", "PUT"],
    [":scheme", "http"],
    [":scheme", "https"],
    [":status", "103"],
    [":status", "200"],
    [":status", "304"],
    [":status", "404"],
    [":status", "503"],
    ["accept", "*/*"],
    ["accept", "application/dns-message"],
    ["accept-encoding", "gzip, deflate, br"],
    ["accept-ranges", "bytes"],
    ["access-control-allow-headers", "cache-control"],
    ["access-control-allow-headers", "content-type"],
    ["access-control-allow-origin", "*"],
    ["cache-control", "max-age=0"],
    ["cache-control", "max-age=2592000"],
    ["cache-control", "max-age=604800"],
    ["cache-control", "no-cache"],
    ["cache-control", "no-store"],
    ["cache-control", "public, max-age=31536000"],
    ["content-encoding", "br"],
    ["content-encoding", "gzip"],
    ["content-type", "application/dns-message"],
    ["content-type", "application/javascript"],
    ["content-type", "application/json"],
    ["content-type", "application/x-www-form-urlencoded"],
    ["content-type", "image/gif"],
    ["content-type", "image/jpeg"],
    ["content-type", "image/png"],
    ["content-type", "text/css"],
    ["content-type", "text/html; charset=utf-8"],
    ["content-type", "text/plain"],
    ["content-type", "text/plain;charset=utf-8"],
    ["range", "bytes=0-"],
    ["strict-transport-security", "max-age=31536000"],
    ["strict-transport-security", "max-age=31536000; includesubdomains"],
    ["strict-transport-security", "max-age=31536000; includesubdomains; preload"],
    ["vary", "accept-encoding"],
    ["vary", "origin"],
    ["x-content-type-options", "nosniff"],
    ["x-xss-protection", "1; mode=block"],
    [":status", "100"],
    [":status", "204"],
    [":status", "206"],
    [":status", "302"],
    [":status", "400"],
    [":status", "403"],
    [":status", "421"],
    [":status", "425"],
    [":status", "500"],
    ["accept-language", ""],
    ["access-control-allow-credentials", "FALSE"],
    ["access-control-allow-credentials", "TRUE"],
    ["access-control-allow-headers", "*"],
    ["access-control-allow-methods", "get"],
    ["access-control-allow-methods", "get, post, options"],
    ["access-control-allow-methods", "options"],
    ["access-control-expose-headers", "content-length"],
    ["access-control-request-headers", "content-type"],
    ["access-control-request-method", "get"],
    ["access-control-request-method", "post"],
    ["alt-svc", "clear"],
    ["authorization", ""],
    ["content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'"],
    ["early-data", "1"],
    ["expect-ct", ""],
    ["forwarded", ""],
    ["if-range", ""],
    ["origin", ""],
    ["purpose", "prefetch"],
    ["server", ""],
    ["timing-allow-origin", "*"],
    ["upgrade-insecure-requests", "1"],
    ["user-agent", ""],
    ["x-forwarded-for", ""],
    ["x-frame-options", "deny"],
    ["x-frame-options", "sameorigin"],
  ] as const satisfies readonly (readonly [string, string])[]).map((entry) => Object.freeze(entry)),
);

/** For each name: its lowest index, and the index of each value listed with it. */
const BY_NAME: ReadonlyMap<string, { lowest: number; byValue: Map<string, number> }> = (() => {
  const map = new Map<string, { lowest: number; byValue: Map<string, number> }>();
  STATIC_TABLE.forEach(([name, value], index) => {
    let slot = map.get(name);
    if (slot === undefined) {
      slot = { lowest: index, byValue: new Map() };
      map.set(name, slot);
    }
    if (!slot.byValue.has(value)) slot.byValue.set(value, index);
  });
  return map;
})();

/**
 * The entry at `index`, or undefined when it is not an integer in 0..98; the decoder
 * turns undefined into QPACK_DECOMPRESSION_FAILED (RFC 9204 §3.1).
 */
export function staticEntry(index: number): readonly [string, string] | undefined {
  return Number.isInteger(index) && index >= 0 && index < STATIC_TABLE.length
    ? STATIC_TABLE[index]
    : undefined;
}

/**
 * For the encoder: the index of an exact name+value match (exact: true), else the lowest
 * index with that name (exact: false), else undefined. Names must already be lowercase.
 */
export function findStatic(
  name: string,
  value: string,
): { index: number; exact: boolean } | undefined {
  const slot = BY_NAME.get(name);
  if (slot === undefined) return undefined;
  const index = slot.byValue.get(value);
  return index === undefined ? { index: slot.lowest, exact: false } : { index, exact: true };
}
