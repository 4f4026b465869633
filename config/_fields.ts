/**
 * Field readers for configuration files: each returns the value or throws
 * `Expected`, which the caller turns into a problem naming the file and the
 * field.
 *
 * @module
 */
import { DEFAULTS } from "./defaults.ts";
import { parseDuration } from "./duration.ts";
import { ENV_KEY, SECRET_NAME } from "./names.ts";

/** A field's value is not what it should be. */
export class Expected extends Error {
  constructor(readonly expected: string) {
    super(expected);
  }
}

export type Reader<T> = (value: unknown) => T;

export type Fields<R extends Record<string, Reader<unknown>>> = {
  [K in keyof R]?: ReturnType<R[K]>;
};

/** Reads the fields of `object` that `readers` knows; a wrong one is reported and left out. */
export function readFields<R extends Record<string, Reader<unknown>>>(
  object: Record<string, unknown>,
  readers: R,
  fail: (message: string) => void,
): Fields<R> {
  const out: Fields<R> = {};
  for (const key of Object.keys(readers) as (keyof R & string)[]) {
    if (!Object.hasOwn(object, key)) continue;
    try {
      out[key] = readers[key](object[key]) as ReturnType<R[typeof key]>;
    } catch (error) {
      if (!(error instanceof Expected)) throw error;
      fail(`field "${key}" must be ${error.expected}, received ${show(object[key])}`);
    }
  }
  return out;
}

export function text(value: unknown): string {
  if (typeof value !== "string") throw new Expected("a string");
  return value;
}

export function flag(value: unknown): boolean {
  if (typeof value !== "boolean") throw new Expected("true or false");
  return value;
}

export function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Expected("a map");
  return value;
}

export function oneOf<T extends string>(values: readonly T[]): Reader<T> {
  return (value) => {
    if (typeof value !== "string" || !values.includes(value as T)) {
      throw new Expected(`one of ${values.map((v) => `"${v}"`).join(", ")}`);
    }
    return value as T;
  };
}

export function integer(min: number): Reader<number> {
  return (value) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      throw new Expected(`an integer >= ${min}`);
    }
    return value;
  };
}

export function list<T>(item: Reader<T>, expected: string): Reader<T[]> {
  return (value) => {
    if (!Array.isArray(value)) throw new Expected(expected);
    try {
      return value.map(item);
    } catch (error) {
      if (error instanceof Expected) throw new Expected(expected);
      throw error;
    }
  };
}

export function secretNames(value: unknown): string[] {
  const expected = "a list of secret names (letters, digits, '.', '_', '-')";
  if (!Array.isArray(value)) throw new Expected(expected);
  for (const item of value) {
    if (typeof item !== "string" || !SECRET_NAME.test(item)) throw new Expected(expected);
  }
  return value;
}

export function httpUrl(value: unknown): string {
  if (typeof value !== "string" || !isHttpUrl(value)) {
    throw new Expected(`an http URL like "http://127.0.0.1:8082" (port 0: any free port)`);
  }
  return value;
}

/** Environment variables: strings (or, from YAML, any scalar, stringified). */
export function environment(scalars: boolean): Reader<Record<string, string>> {
  const what = scalars ? "scalars" : "strings";
  return (value) => {
    if (!isRecord(value)) throw new Expected(`a map of variable names to ${what}`);
    const env: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!scalars && !ENV_KEY.test(key)) {
        throw new Expected(
          `a map of variable names (letters, digits, "_") to strings, not ${show(key)}`,
        );
      }
      const ok = typeof item === "string" ||
        (scalars && (typeof item === "number" || typeof item === "boolean" || item === null));
      if (!ok) throw new Expected(`a map of variable names to ${what} (${key} is ${show(item)})`);
      env[key] = item === null ? "" : String(item);
    }
    return env;
  };
}

/** Milliseconds, or "10s", "500ms", "2m" (and Go-style "1m30s"). */
export function duration(value: unknown): number {
  const ms = typeof value === "number"
    ? (Number.isFinite(value) && value >= 0 ? Math.round(value) : null)
    : typeof value === "string"
    ? parseDuration(value)
    : null;
  if (ms === null) {
    throw new Expected('a duration: milliseconds, or a string like "10s", "500ms" or "2m"');
  }
  return ms;
}

/** MiB: a positive integer, or "128Mi", "256M", "1Gi" ("M" is read as MiB, as people mean it). */
export function memory(value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  const mib = Math.ceil(sizeText(value) / 1024 ** 2);
  if (mib <= 0) throw new Expected('MiB as a positive integer, or a string like "128Mi" or "256M"');
  return mib;
}

/** Bytes: a positive integer, or "512Ki", "100Mi", "1Gi" ("M" is read as MiB, as for memory). */
export function bytes(value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  const size = sizeText(value);
  if (size <= 0) {
    throw new Expected('bytes as a positive integer, or a string like "100Mi" or "1Gi"');
  }
  return size;
}

/** Bytes in "512Ki", "100Mi", "1Gi" (K, M, G are read as KiB, MiB, GiB); 0 if not a size. */
function sizeText(value: unknown): number {
  const match = typeof value === "string" ? /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)$/.exec(value) : null;
  const scale: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  return match ? Math.ceil(Number(match[1]) * scale[match[2][0]]) : 0;
}

/** `min` may not exceed `max` (default 4). */
export function checkScale(
  min: number | undefined,
  max: number | undefined,
  fail: (message: string) => void,
): void {
  if (min !== undefined && min > (max ?? DEFAULTS.max)) {
    fail(`min (${min}) exceeds max (${max ?? "4, the default"})`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** A value as it appears in a message (JSON, truncated). */
export function show(value: unknown): string {
  const json = value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** `object` without its undefined properties. */
export function compact<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

/** The known name nearest to a typo (edit distance at most 2), if any. */
export function closest(word: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

export function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}
