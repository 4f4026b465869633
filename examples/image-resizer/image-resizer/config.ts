/**
 * The function's settings, a pure function of its environment (set them in
 * `qfaas.json` `env`, or `.env`):
 *
 * - `IMAGE_MAX_BYTES`: largest image fetched, bytes (`10MB`, `512KB`, or a
 *   number). Default 10 MB.
 * - `IMAGE_MAX_PIXELS`: largest image decoded, and largest result, in pixels
 *   (`40MP`, or a number). Default 40 MP.
 * - `IMAGE_MAX_DIMENSION`: largest `width` or `height` asked for. Default 8192.
 * - `IMAGE_FETCH_TIMEOUT`: deadline to fetch the image (`5s`, `500ms`, or ms).
 *   Default 5 s.
 * - `IMAGE_MAX_AGE`: `cache-control: max-age` of the results, seconds.
 *   Default 86400 (one day).
 *
 * @module
 */

/** What `loadConfig` reads. */
export interface ResizerConfig {
  /** Largest image fetched, bytes. */
  maxBytes: number;
  /** Largest image decoded or produced, pixels. */
  maxPixels: number;
  /** Largest requested width or height. */
  maxDimension: number;
  /** Deadline to fetch the image, ms. */
  fetchTimeoutMs: number;
  /** `max-age` of the results, s. */
  maxAgeSeconds: number;
}

/** The settings when the environment sets none. */
export const DEFAULTS: Readonly<ResizerConfig> = {
  maxBytes: 10_000_000,
  maxPixels: 40_000_000,
  maxDimension: 8192,
  fetchTimeoutMs: 5000,
  maxAgeSeconds: 86_400,
};

type Units = Record<string, number>;
const BYTES: Units = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2 };
const PIXELS: Units = { "": 1, mp: 1e6 };
const DURATION: Units = { "": 1, ms: 1, s: 1000, m: 60_000 };
const PLAIN: Units = { "": 1 };

/** Reads `env[key]` as a positive number with one of `units`, or the default. */
function setting(
  env: Record<string, string | undefined>,
  key: string,
  units: Units,
  fallback: number,
  example: string,
): number {
  const text = env[key]?.trim();
  if (!text) return fallback;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
  const unit = match?.[2].toLowerCase() ?? "";
  const value = match && unit in units ? Math.round(Number(match[1]) * units[unit]) : NaN;
  if (!(value > 0)) {
    throw new TypeError(
      `Cannot read ${key}: expected a positive value like ${example}, received "${text}"`,
    );
  }
  return value;
}

/**
 * Reads the settings from an environment.
 *
 * @param env The environment, e.g. `Deno.env.toObject()`.
 * @returns The settings, with defaults for what is unset.
 * @throws {TypeError} When a setting is malformed.
 *
 * @example
 * ```ts
 * loadConfig({ IMAGE_MAX_BYTES: "2MB" }).maxBytes; // 2_000_000
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): ResizerConfig {
  return {
    maxBytes: setting(env, "IMAGE_MAX_BYTES", BYTES, DEFAULTS.maxBytes, "10MB"),
    maxPixels: setting(env, "IMAGE_MAX_PIXELS", PIXELS, DEFAULTS.maxPixels, "40MP"),
    maxDimension: setting(env, "IMAGE_MAX_DIMENSION", PLAIN, DEFAULTS.maxDimension, "8192"),
    fetchTimeoutMs: setting(env, "IMAGE_FETCH_TIMEOUT", DURATION, DEFAULTS.fetchTimeoutMs, "5s"),
    maxAgeSeconds: setting(env, "IMAGE_MAX_AGE", PLAIN, DEFAULTS.maxAgeSeconds, "86400"),
  };
}
