/**
 * Loads a Deno function module: its default export is a `(request) =>
 * Response` handler or an object with `fetch(request)`, the shapes of
 * Deno.serve and of Supabase Edge Functions / Cloudflare Workers.
 *
 * @module
 */
import { toFileUrl } from "./paths.ts";

/** A function's request handler. */
export type FunctionHandler = (request: Request) => Response | Promise<Response>;

/** Imports `path` and returns its handler; throws TypeError saying what the module must export. */
export async function loadFunction(path: string): Promise<FunctionHandler> {
  const module = await import(toFileUrl(path).href);
  const exported = module.default;
  if (typeof exported === "function") return (request) => exported(request);
  if (typeof exported === "object" && exported !== null && typeof exported.fetch === "function") {
    return (request) => exported.fetch(request);
  }
  throw new TypeError(
    `Cannot load function ${path}: its default export must be (request) => Response or { fetch(request) }`,
  );
}
