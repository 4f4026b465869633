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
 * Responses up to this size that declare their length are read whole before
 * they are answered: a fixed-length body is ~0.3 ms cheaper for Deno.serve to
 * send than a stream relayed from HTTP/3 (measured), and the worker has it all.
 */
const BUFFER_MAX_BYTES = 64 * 1024;

/** Hop-by-hop fields (RFC 9110 §7.6.1) that must not be forwarded. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"];

/** A JSON error body, the shape every gateway error takes. */
function problem(c: Context, status: 400 | 404 | 413 | 431, error: string, extra = {}): Response {
  return c.json({ error, ...extra }, status);
}

function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
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

  app.use("*", async (c, next) => {
    if (headerBytes(c.req.raw.headers) > maxHeaders) {
      return problem(c, 431, `request header section exceeds ${maxHeaders} bytes`);
    }
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
    if (!fn) return problem(c, 404, "function not found", { function: c.req.param("name") });
    return c.json(describe(fn));
  });

  const run = async (c: Context): Promise<Response> => {
    const name = c.req.param("name") ?? "";
    if (!FUNCTION_NAME.test(name)) {
      return problem(c, 400, "malformed function name (use lowercase letters, digits and -)", {
        function: name,
      });
    }
    const fn = invoker.function(name);
    if (!fn) return problem(c, 404, "function not found", { function: name });
    const incoming = c.req.raw;
    const limit = fn.maxBodyBytes ?? maxBody;
    const tooLarge = () =>
      problem(c, 413, `request body exceeds ${limit} bytes`, { function: name, limit });
    const bounded = boundBody(incoming, limit, SMALL_BODY_BYTES);
    if (bounded === "too large") return tooLarge();
    const url = new URL(incoming.url);
    // OpenFaaS forwards what follows the name: /function/echo/a?b → /a?b.
    const path = url.pathname.slice(`/function/${name}`.length) || "/";
    const headers = new Headers(incoming.headers);
    for (const field of HOP_BY_HOP) headers.delete(field);
    headers.set("x-forwarded-host", url.host);
    headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
    if (!headers.has("x-call-id")) headers.set("x-call-id", crypto.randomUUID());
    const forwarded = new Request(`http://${name}${path}${url.search}`, {
      method: incoming.method,
      headers,
      body: bounded.body,
      // @ts-ignore: duplex is required for streaming request bodies (Fetch, not yet in lib.dom).
      duplex: "half",
    });
    const started = performance.now();
    const answered = await invoker.invoke(name, forwarded).catch((error) => {
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
    const length = Number(response.headers.get("content-length") ?? NaN);
    if (response.body === null || !(length <= BUFFER_MAX_BYTES)) return response;
    const { status, statusText, headers: responseHeaders } = response;
    return new Response(await response.arrayBuffer(), {
      status,
      statusText,
      headers: responseHeaders,
    });
  };
  app.all("/function/:name", run);
  app.all("/function/:name/*", run);
  app.all("/function", (c) => problem(c, 400, "missing function name: use /function/{name}"));
  app.all("/function/", (c) => problem(c, 400, "missing function name: use /function/{name}"));

  app.notFound((c) =>
    c.json(
      { error: "not found", path: new URL(c.req.url).pathname, hint: "use /function/{name}" },
      404,
    )
  );
  app.onError((error, c) => {
    // A path Hono cannot decode (bad percent-encoding) is the client's mistake.
    if (error instanceof URIError) return problem(c, 400, "malformed path");
    if ((error as FunctionNotFound).name === "FunctionNotFound") {
      return problem(c, 404, "function not found");
    }
    return c.json({ error: `gateway error: ${(error as Error).message}` }, 500);
  });
  return { fetch: (request) => app.fetch(request) };
}
