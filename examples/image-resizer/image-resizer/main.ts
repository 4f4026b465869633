// image-resizer: fetches an image and resizes it with sharp, in its own format, with caching
// headers. GET /function/image-resizer?url=https://…&width=200[&height=100][&fit=cover].
// Limits and the cache lifetime: see config.ts. Errors are JSON { "error", "code" }.
import { cachingHeaders, entityTag, notModified } from "./caching.ts";
import { loadConfig } from "./config.ts";
import { fetchImage } from "./fetch_image.ts";
import { HttpError } from "./http_error.ts";
import { parseParams } from "./params.ts";
import { resizeImage } from "./resize.ts";

const config = loadConfig(Deno.env.toObject());

/** Fetches, resizes and answers with the image and its caching headers. */
async function resize(request: Request): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    throw new HttpError(405, "method_not_allowed", `use GET or HEAD, not ${request.method}`);
  }
  const params = parseParams(new URL(request.url).searchParams, config.maxDimension);
  const image = await fetchImage(params.url, {
    maxBytes: config.maxBytes,
    timeoutMs: config.fetchTimeoutMs,
  });
  const resized = await resizeImage(image.bytes, params, config.maxPixels);
  const etag = await entityTag(resized.bytes);
  const headers = new Headers({
    ...cachingHeaders(etag, config.maxAgeSeconds),
    "content-type": resized.mediaType,
    "x-image-original-size": `${resized.original.width}x${resized.original.height}`,
    ...(image.lastModified ? { "last-modified": image.lastModified } : {}),
  });
  if (notModified(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-length", String(resized.bytes.byteLength));
  return new Response(request.method === "HEAD" ? null : resized.bytes, { headers });
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return await resize(request);
    } catch (error) {
      if (error instanceof HttpError) return error.toResponse();
      throw error;
    }
  },
};
