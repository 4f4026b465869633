/**
 * OpenFaaS of-watchdog "http" mode: run the function's own HTTP server
 * (`fprocess`) and forward each request to it (`upstream_url`), so a function
 * in any language runs unchanged behind our HTTP/3 watchdog. The upstream
 * inherits the worker's environment; if it exits, the worker exits too, so
 * that the invoker replaces it.
 *
 * @module
 */
import type { FunctionHandler } from "./function_loader.ts";

/** The upstream process and the handler that forwards to it. */
export interface Upstream {
  /** Forwards a request to the upstream and returns its response. */
  handler: FunctionHandler;
  /** Resolves with the upstream's exit code when it ends. */
  exited: Promise<number>;
  /** Stops the upstream (SIGTERM). */
  stop(): Promise<void>;
}

/** Options of `startUpstream`. */
export interface UpstreamOptions {
  /** The command line, split on whitespace as of-watchdog does (no shell). */
  fprocess: string;
  /** Where the upstream listens, e.g. http://127.0.0.1:5000. */
  upstreamUrl: string;
  /** Working directory of the upstream. */
  cwd?: string;
  /** How long the upstream may take to accept its first request. Default 10 s. */
  readyTimeoutMs?: number;
  /** Environment for the upstream (default: the worker's own). */
  env?: Record<string, string>;
}

/** Starts the upstream and waits until it answers HTTP. */
export async function startUpstream(options: UpstreamOptions): Promise<Upstream> {
  const [command, ...args] = options.fprocess.trim().split(/\s+/);
  if (!command) throw new TypeError("Cannot start the upstream: fprocess is empty");
  const upstream = new URL(options.upstreamUrl);
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const exited = child.status.then((status) => status.code);
  let gone = false;
  exited.then(() => (gone = true));
  const client = Deno.createHttpClient({ http2: false });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  for (;;) {
    if (gone) {
      throw new Error(
        `The upstream "${options.fprocess}" exited with code ${await exited} before it was ready`,
      );
    }
    try {
      await (await fetch(upstream, { client, method: "GET" })).body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`The upstream "${options.fprocess}" did not answer at ${upstream} in time`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const handler: FunctionHandler = async (request) => {
    const url = new URL(request.url);
    // Many upstreams (Python's http.server among them) read content-length and
    // ignore chunked bodies: pass a body of known length as bytes, with its length.
    const body = request.headers.has("content-length") ? await request.arrayBuffer() : request.body;
    // `duplex: "half"` lets the request body stream (Fetch; not yet in the DOM types).
    const init = {
      method: request.method,
      headers: request.headers,
      body,
      redirect: "manual",
      client,
      duplex: "half",
    } as RequestInit & { client: Deno.HttpClient };
    return await fetch(new URL(`${url.pathname}${url.search}`, upstream), init);
  };
  return {
    handler,
    exited,
    async stop() {
      if (!gone) child.kill("SIGTERM");
      await exited;
      client.close();
    },
  };
}
