/**
 * Caching headers of a resized image: `cache-control: public, max-age=…`, a
 * strong ETag (a digest of the bytes), and whether the client's copy is
 * still good (`if-none-match`).
 *
 * @module
 */

/**
 * A strong entity tag for `bytes`: the first 16 bytes of their SHA-256, base64url, quoted.
 *
 * @param bytes The response body.
 * @returns The ETag, e.g. `"q1x…"`.
 */
export async function entityTag(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  return `"${digest.subarray(0, 16).toBase64({ alphabet: "base64url", omitPadding: true })}"`;
}

/**
 * Whether an `if-none-match` header names `etag` (or is `*`), so 304 will do.
 *
 * @param ifNoneMatch The request's header, or null.
 * @param etag The response's ETag.
 * @returns True when the client's copy matches.
 */
export function notModified(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const weakless = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || weakless(tag) === etag);
}

/**
 * The caching headers for a public, immutable-by-URL resource.
 *
 * @param etag Its ETag.
 * @param maxAgeSeconds How long caches may keep it.
 * @returns `cache-control` and `etag`.
 */
export function cachingHeaders(etag: string, maxAgeSeconds: number): Record<string, string> {
  return { "cache-control": `public, max-age=${maxAgeSeconds}`, etag };
}
