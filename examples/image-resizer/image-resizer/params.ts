/**
 * What to resize and how, read from the query:
 * `?url=https://…/a.png&width=200&height=100&fit=cover`. `url` is an
 * absolute http(s) URL; at least one of `width` and `height` (whole pixels,
 * 1 to the configured maximum); `fit` is one of sharp's `cover` (default),
 * `contain`, `fill`, `inside`, `outside`.
 *
 * @module
 */
import { HttpError } from "./http_error.ts";

/** How the image is fitted into width × height (sharp's `fit`). */
export type Fit = "cover" | "contain" | "fill" | "inside" | "outside";

/** The fits, for validation and messages. */
export const FITS: readonly Fit[] = ["cover", "contain", "fill", "inside", "outside"];

/** A valid resize request. */
export interface ResizeParams {
  /** Where the image is. */
  url: URL;
  /** Target width, px; undefined keeps the aspect ratio from `height`. */
  width: number | undefined;
  /** Target height, px; undefined keeps the aspect ratio from `width`. */
  height: number | undefined;
  /** How to fit the image into the box. */
  fit: Fit;
}

function dimension(query: URLSearchParams, name: string, max: number): number | undefined {
  const text = query.get(name);
  if (text === null || text.trim() === "") return undefined;
  const value = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(value >= 1 && value <= max)) {
    throw new HttpError(
      400,
      `invalid_${name}`,
      `${name} must be a whole number of pixels from 1 to ${max}, received "${text}"`,
    );
  }
  return value;
}

/**
 * Reads and checks the parameters.
 *
 * @param query The request's query.
 * @param maxDimension The largest width or height allowed.
 * @returns The request.
 * @throws {HttpError} 400 with code `missing_url`, `invalid_url`, `invalid_width`,
 * `invalid_height`, `missing_size` or `invalid_fit`.
 */
export function parseParams(query: URLSearchParams, maxDimension: number): ResizeParams {
  const raw = query.get("url")?.trim();
  if (!raw) {
    throw new HttpError(400, "missing_url", "give the image to resize: ?url=https://…&width=…");
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HttpError(400, "invalid_url", `not an absolute URL: "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HttpError(400, "invalid_url", `only http and https URLs, received "${url.protocol}"`);
  }
  const width = dimension(query, "width", maxDimension);
  const height = dimension(query, "height", maxDimension);
  if (width === undefined && height === undefined) {
    throw new HttpError(400, "missing_size", "give width, height or both");
  }
  const fit = query.get("fit") ?? "cover";
  if (!(FITS as readonly string[]).includes(fit)) {
    throw new HttpError(
      400,
      "invalid_fit",
      `fit must be one of ${FITS.join(", ")}, received "${fit}"`,
    );
  }
  return { url, width, height, fit: fit as Fit };
}
