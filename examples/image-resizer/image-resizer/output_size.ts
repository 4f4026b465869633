/**
 * The size sharp will produce for an image, a box and a fit, so an oversized
 * result is refused before it is made.
 *
 * @module
 */
import type { Fit } from "./params.ts";

/** Width and height, px. */
export interface Size {
  /** Width, px. */
  width: number;
  /** Height, px. */
  height: number;
}

/**
 * Predicts the output size of `sharp.resize({ width, height, fit })`.
 *
 * With one side given, the other follows the aspect ratio. With both,
 * `cover`, `contain` and `fill` give exactly the box; `inside` scales to fit
 * within it and `outside` to cover it, keeping the aspect ratio.
 *
 * @param input The image's size.
 * @param width Requested width, if any.
 * @param height Requested height, if any.
 * @param fit How the image is fitted.
 * @returns The expected size (sharp may differ by a pixel in rounding).
 */
export function outputSize(
  input: Size,
  width: number | undefined,
  height: number | undefined,
  fit: Fit,
): Size {
  const scaled = (scale: number): Size => ({
    width: Math.max(1, Math.round(input.width * scale)),
    height: Math.max(1, Math.round(input.height * scale)),
  });
  if (width === undefined) {
    return height === undefined ? { ...input } : scaled(height / input.height);
  }
  if (height === undefined) return scaled(width / input.width);
  if (fit === "inside") return scaled(Math.min(width / input.width, height / input.height));
  if (fit === "outside") return scaled(Math.max(width / input.width, height / input.height));
  return { width, height };
}
