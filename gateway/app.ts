/**
 * The gateway's HTTP API, OpenFaaS-compatible: `/function/{name}[/path]`
 * (any method, query string kept), `/system/functions` and
 * `/system/function/{name}`, `/healthz` and `/metrics`. The same Hono app
 * answers on every listener: HTTP/1.1, HTTPS and HTTP/3. Given `systemAuth`,
 * `/system/*` and `/metrics` want its credentials (gateway/system_auth.ts);
 * function routes and `/healthz` stay open, as in OpenFaaS.
 *
 * Request bodies stream through to the worker: the size limit (the
 * function's `maxBodyBytes`, else the gateway's) is checked against a
 * declared content-length at once, and counted as the body passes
 * otherwise, so an upload of any size costs the gateway bounded memory.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { type FieldLine, headerLines, isForwardable } from "../h3/mod.ts";
import { type FunctionNotFound, type Invoker, type InvokerFunction } from "../invoker/mod.ts";
import { boundBody } from "../watchdog/mod.ts";
import { CONTENT_TYPE } from "./metrics.ts";
import { type SystemAuth, systemAuthMiddleware } from "./system_auth.ts";
import type { GatewayTelemetry } from "./telemetry.ts";

/** Limits on what end users may send. */
export interface GatewayLimits {
  /**
   * Largest request body, bytes, for functions that set no `maxBodyBytes` of
   * their own; larger gets 413 (at once for a declared content-length, else
   * once that many bytes have streamed through). Default 16 MiB.
   */
  maxBodyBytes?: number;
  /** Largest header section (names and values), bytes; larger gets 431. Default 16 KiB. */
  maxHeaderBytes?: number;
}

/** What the app needs from the rest of the gateway. */
export interface GatewayAppOptions {
  /** Runs functions. */
  invoker: Invoker;
  /** Counters and histograms behind `/metrics`. */
  telemetry: GatewayTelemetry;
  /** Request limits. */
  limits?: GatewayLimits;
  /**
   * Credentials `/system/*` and `/metrics` require (basic or bearer); absent,
   * they are open. Give them when the gateway listens beyond loopback.
   */
  systemAuth?: SystemAuth;
}

/** Function names: lowercase DNS labels, as OpenFaaS requires. */
const FUNCTION_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A function route in its plain form: `/function/{name}`, then a path
 * without dot segments or percent-escapes, then a query. These take the fast
 * path; anything else (an escape to decode, a name to refuse) goes through
 * the router, whose answer is the same, only slower.
 */
const PLAIN_FUNCTION_ROUTE = /^\/function\/([a-z0-9-]{1,63})((?:\/(?!\.)[^/?%#]*)*)(\?[^#]*)?$/;

/** A JSON error body, the shape every gateway error takes. */
function problem(status: 400 | 404 | 413 | 431 | 500, error: string, extra = {}): Response {
  return Response.json({ error, ...extra }, { status });
}

function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
}

/** What an error thrown while answering becomes (the router's `onError` and the fast path). */
function failure(error: unknown): Response {
  // A path Hono cannot decode (bad percent-encoding) is the client's mistake.
  if (error instanceof URIError) return problem(400, "malformed path");
  if ((error as FunctionNotFound).name === "FunctionNotFound") {
    return problem(404, "function not found");
  }
  return problem(500, `gateway error: ${(error as Error).message}`);
}

/** Where a request URL's path starts ("scheme://host/path"), and its scheme and host. */
function splitUrl(url: string): { scheme: string; host: string; pathAt: number } {
  const colon = url.indexOf("://");
  const pathAt = url.indexOf("/", colon + 3);
  const end = pathAt < 0 ? url.length : pathAt;
  return { scheme: url.slice(0, colon), host: url.slice(colon + 3, end), pathAt: end };
}

/**
 * Bodies of a declared length up to this pass through as they are; larger
 * ones are counted anyway, for `countedBody`'s buffer reuse (docs/results/upload.md).
 */
const SMALL_BODY_BYTES = 64 * 1024;

/** The app as listeners see it: a fetch handler. */
export interface GatewayApp {
  /** Answers one request. */
  fetch(request: Request): Response | Promise<Response>;
}

/** Builds the gateway app. */
export function createGatewayApp(options: GatewayAppOptions): GatewayApp {
  const { invoker, telemetry } = options;
  const maxBody = options.limits?.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxHeaders = options.limits?.maxHeaderBytes ?? 16 * 1024;
  const app = new Hono();

  const headersTooLarge = () => problem(431, `request header section exceeds ${maxHeaders} bytes`);
  app.use("*", async (c, next) => {
    if (headerBytes(c.req.raw.headers) > maxHeaders) return headersTooLarge();
    await next();
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  if (options.systemAuth) {
    const guard = systemAuthMiddleware(options.systemAuth);
    app.use("/system/*", guard);
    app.use("/metrics", guard);
  }

  app.get(
    "/metrics",
    () => new Response(telemetry.registry.render(), { headers: { "content-type": CONTENT_TYPE } }),
  );

  const describe = (fn: InvokerFunction) => ({
    name: fn.name,
    runtime: fn.runtime ?? (fn.module ? "deno" : "upstream"),
    ...(fn.upstream ? { envProcess: fn.upstream.fprocess } : {}),
    transport: fn.transport ?? "h3",
    replicas: invoker.pool(fn.name).size,
    invocationCount: telemetry.invocations(fn.name),
    min: fn.min ?? 0,
    max: fn.max ?? 4,
  });
  app.get("/system/functions", (c) => c.json(invoker.functions().map(describe)));
  app.get("/system/function/:name", (c) => {
    const fn = invoker.function(c.req.param("name"));
    if (!fn) return problem(404, "function not found", { function: c.req.param("name") });
    return c.json(describe(fn));
  });

  /**
   * Forwards a request to function `name`: `target` is what follows the
   * name (OpenFaaS forwards /function/echo/a?b as /a?b), `fields` the
   * request's header fields without hop-by-hop ones.
   */
  const run = async (
    incoming: Request,
    name: string,
    target: string,
    fields: FieldLine[],
    url: { scheme: string; host: string },
  ): Promise<Response> => {
    if (!FUNCTION_NAME.test(name)) {
      return problem(400, "malformed function name (use lowercase letters, digits and -)", {
        function: name,
      });
    }
    const fn = invoker.function(name);
    if (!fn) return problem(404, "function not found", { function: name });
    const limit = fn.maxBodyBytes ?? maxBody;
    const tooLarge = () =>
      problem(413, `request body exceeds ${limit} bytes`, { function: name, limit });
    const bounded = boundBody(incoming, limit, SMALL_BODY_BYTES);
    if (bounded === "too large") return tooLarge();
    fields.push(["x-forwarded-host", url.host], ["x-forwarded-proto", url.scheme]);
    if (!fields.some(([field]) => field === "x-call-id")) {
      fields.push(["x-call-id", crypto.randomUUID()]);
    }
    const started = performance.now();
    const answered = await invoker.invoke(name, {
      method: incoming.method,
      target: target === "" || target[0] === "?" ? `/${target}` : target,
      fields,
      body: bounded.body,
    }).catch((error) => {
      if (bounded.exceeded()) return null;
      throw error;
    });
    let response: Response;
    if (answered === null || bounded.exceeded()) {
      // The body was cut off at the limit: whatever the worker made of it, that decides.
      await answered?.body?.cancel().catch(() => {});
      response = tooLarge();
    } else {
      response = answered;
    }
    telemetry.record(name, response, (performance.now() - started) / 1000);
    return response;
  };
  /** The router's way in: the name and the rest from the parsed URL. */
  const routed = (c: Context): Promise<Response> => {
    const name = c.req.param("name") ?? "";
    const url = new URL(c.req.url);
    const fields = headerLines(c.req.raw.headers);
    const rest = url.pathname.slice(`/function/${name}`.length);
    const scheme = url.protocol.slice(0, -1);
    return run(c.req.raw, name, `${rest}${url.search}`, fields, { scheme, host: url.host });
  };
  app.all("/function/:name", routed);
  app.all("/function/:name/*", routed);
  app.all("/function", () => problem(400, "missing function name: use /function/{name}"));
  app.all("/function/", () => problem(400, "missing function name: use /function/{name}"));

  app.notFound((c) =>
    c.json(
      { error: "not found", path: new URL(c.req.url).pathname, hint: "use /function/{name}" },
      404,
    )
  );
  app.onError((error) => failure(error));

  /**
   * The hot path: a function route in its plain form is answered without the
   * router, in one pass over the headers (size check and forwarded fields).
   */
  const fast = async (request: Request): Promise<Response> => {
    const url = splitUrl(request.url);
    const match = PLAIN_FUNCTION_ROUTE.exec(request.url.slice(url.pathAt));
    if (match === null) return app.fetch(request);
    let bytes = 0;
    const fields: FieldLine[] = [];
    for (const field of request.headers) {
      bytes += field[0].length + field[1].length + 4;
      if (isForwardable(field[0], field[1])) fields.push(field);
    }
    if (bytes > maxHeaders) return headersTooLarge();
    try {
      return await run(request, match[1], `${match[2]}${match[3] ?? ""}`, fields, url);
    } catch (error) {
      return failure(error);
    }
  };
  return { fetch: fast };
}
