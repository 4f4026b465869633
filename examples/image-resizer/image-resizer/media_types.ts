/**
 * The image formats the resizer reads and writes back in kind, and their
 * media types.
 *
 * @module
 */

/** sharp's format name → media type, for the formats resized in their own format. */
export const MEDIA_TYPES: Readonly<Record<string, string>> = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  avif: "image/avif",
  tiff: "image/tiff",
};

/**
 * The media type of a format sharp reported, or null for one the resizer
 * does not write (SVG, PDF, HEIC, raw, …).
 *
 * @param format sharp's format name, e.g. `jpeg`.
 * @returns Its media type, e.g. `image/jpeg`, or null.
 */
export function mediaTypeOf(format: string | undefined): string | null {
  return format !== undefined && Object.hasOwn(MEDIA_TYPES, format) ? MEDIA_TYPES[format] : null;
}
