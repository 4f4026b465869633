/**
 * Path helpers (Deno std's path module is not reachable here: JSR is offline).
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

/** A file URL for `path`, relative paths resolved against the working directory. */
export function toFileUrl(path: string): URL {
  return pathToFileURL(resolve(path));
}
