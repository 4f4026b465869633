/**
 * Fetches the image to resize, within a deadline and a byte limit: the
 * `content-length` is checked before the body is read, and the body is
 * counted as it arrives (it may have no length, or lie about it).
 *
 * @module
 */
import { HttpError } from "./http_error.ts";

/** Limits of `fetchImage`. */
export interface FetchLimits {
  /** Largest body, bytes. */
  maxBytes: number;
  /** Deadline for the whole download, ms. */
  timeoutMs: number;
}

/** A fetched image. */
export interface FetchedImage {
  /** The body. */
  bytes: Uint8Array;
  /** The origin's media type (lower case, without parameters), or null if it sent none. */
  mediaType: string | null;
  /** The origin's `last-modified`, if any. */
  lastModified: string | null;
}

/** Media types that may hold an image though they do not say so; their bytes decide. */
const UNTYPED = new Set(["application/octet-stream", "binary/octet-stream"]);

function tooLarge(size: string, maxBytes: number): HttpError {
  return new HttpError(
    413,
    "too_many_bytes",
    `the image is ${size}, over the limit of ${maxBytes} bytes`,
  );
}

/** Reads a body up to `maxBytes`; cancels it and throws 413 past that. */
async function readLimited(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(`more than ${maxBytes} bytes`, maxBytes);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Downloads an image.
 *
 * @param url Where it is.
 * @param limits Byte limit and deadline.
 * @returns Its bytes and media type.
 * @throws {HttpError} 502 when the origin cannot be reached or answers with an
 * error, 504 past the deadline, 413 over the byte limit, 415 when the origin
 * says it is not an image.
 */
export async function fetchImage(url: URL, limits: FetchLimits): Promise<FetchedImage> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const timedOut = () =>
    new HttpError(
      504,
      "origin_timeout",
      `${url.origin} did not send the image within ${limits.timeoutMs} ms`,
    );
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: { accept: "image/*" }, redirect: "follow" });
  } catch (error) {
    if (signal.aborted) throw timedOut();
    throw new HttpError(
      502,
      "origin_unreachable",
      `cannot fetch ${url.href}: ${(error as Error).message}`,
    );
  }
  const body = response.body;
  try {
    if (!response.ok) {
      throw new HttpError(
        502,
        "origin_error",
        `${url.href} answered ${response.status} ${response.statusText}`.trim(),
      );
    }
    const mediaType = response.headers.get("content-type")?.split(";")[0].trim().toLowerCase() ||
      null;
    if (mediaType && !mediaType.startsWith("image/") && !UNTYPED.has(mediaType)) {
      throw new HttpError(415, "not_an_image", `${url.href} is ${mediaType}, not an image`);
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    if (length > limits.maxBytes) throw tooLarge(`${length} bytes`, limits.maxBytes);
    const bytes = body ? await readLimited(body, limits.maxBytes) : new Uint8Array(0);
    return { bytes, mediaType, lastModified: response.headers.get("last-modified") };
  } catch (error) {
    await body?.cancel().catch(() => {});
    if (error instanceof HttpError) throw error;
    if (signal.aborted) throw timedOut();
    throw new HttpError(
      502,
      "origin_unreachable",
      `cannot read ${url.href}: ${(error as Error).message}`,
    );
  }
}
