/**
 * Resizes an image with sharp (libvips), keeping its format: the header is
 * read first, so an image with too many pixels, or a result that would have
 * too many, is refused before anything is decoded.
 *
 * @module
 */
import sharp from "sharp";
import { HttpError } from "./http_error.ts";
import { mediaTypeOf } from "./media_types.ts";
import { outputSize } from "./output_size.ts";
import type { ResizeParams } from "./params.ts";

// A function instance handles one image at a time and keeps nothing: libvips'
// operation cache would only hold memory.
sharp.cache(false);

/** A resized image. */
export interface ResizedImage {
  /** The encoded image. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Its media type, the same format as the original. */
  mediaType: string;
  /** Its size, px. */
  width: number;
  /** Its size, px. */
  height: number;
  /** The original's size, px. */
  original: { width: number; height: number };
}

/**
 * Resizes `input` to the box and fit of `params`, in the input's format.
 *
 * @param input The image bytes.
 * @param params Width, height and fit.
 * @param maxPixels Largest input or output, pixels.
 * @returns The resized image.
 * @throws {HttpError} 415 when the bytes are not an image in a format it
 * writes; 413 when the input or the output has more than `maxPixels` pixels.
 */
export async function resizeImage(
  input: Uint8Array,
  params: Pick<ResizeParams, "width" | "height" | "fit">,
  maxPixels: number,
): Promise<ResizedImage> {
  const metadata = await sharp(input).metadata().catch((error: Error) => {
    throw new HttpError(415, "not_an_image", `not an image sharp can read: ${error.message}`);
  });
  const mediaType = mediaTypeOf(metadata.format);
  if (!mediaType || !metadata.width || !metadata.height) {
    throw new HttpError(
      415,
      "unsupported_format",
      `cannot resize ${metadata.format ?? "this"} images; send JPEG, PNG, WebP, GIF, AVIF or TIFF`,
    );
  }
  // Upright dimensions: EXIF orientations 5–8 swap width and height.
  const original = (metadata.orientation ?? 1) >= 5
    ? { width: metadata.height, height: metadata.width }
    : { width: metadata.width, height: metadata.height };
  const pages = metadata.pages ?? 1;
  const inputPixels = original.width * original.height * pages;
  if (inputPixels > maxPixels) {
    throw new HttpError(
      413,
      "too_many_pixels",
      `the image has ${original.width}×${original.height}${
        pages > 1 ? `×${pages}` : ""
      } = ${inputPixels} pixels, over the limit of ${maxPixels}`,
    );
  }
  const planned = outputSize(original, params.width, params.height, params.fit);
  if (planned.width * planned.height * pages > maxPixels) {
    throw new HttpError(
      413,
      "result_too_large",
      `the result would be ${planned.width}×${planned.height} pixels, over the limit of ${maxPixels}`,
    );
  }
  try {
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, animated: pages > 1 })
      .rotate() // upright, by its EXIF orientation
      .resize({ width: params.width, height: params.height, fit: params.fit })
      .toBuffer({ resolveWithObject: true });
    return {
      bytes: new Uint8Array(data), // a copy in an ArrayBuffer of its own, as Response wants
      mediaType: mediaTypeOf(info.format) ?? mediaType,
      width: info.width,
      height: info.height,
      original,
    };
  } catch (error) {
    throw new HttpError(
      415,
      "not_an_image",
      `the image cannot be decoded: ${(error as Error).message}`,
    );
  }
}
