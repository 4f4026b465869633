/**
 * Where Hello, Retail! keeps its data: a pure function of the environment.
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The environment variable naming the data directory (database and outbox). */
export const DATA_ENV = "HELLO_RETAIL_DATA";

/** The example's folder: relative data directories resolve against it. */
const HOME = fileURLToPath(new URL("..", import.meta.url));

/**
 * The data directory: `value` (absolute, or relative to examples/hello-retail/),
 * else examples/hello-retail/.data. Functions must list it in `allow_write`.
 *
 * @example
 * ```ts
 * dataDir(Deno.env.get(DATA_ENV)); // ".../examples/hello-retail/.data" when unset
 * ```
 */
export function dataDir(value: string | undefined): string {
  if (!value) return join(HOME, ".data");
  return isAbsolute(value) ? value : resolve(HOME, value);
}

/** The SQLite database file in a data directory. */
export function databasePath(dir: string): string {
  return join(dir, "hello-retail.db");
}

/** The local outbox (one JSON message a line) in a data directory: no message leaves the machine. */
export function outboxPath(dir: string): string {
  return join(dir, "outbox.jsonl");
}
