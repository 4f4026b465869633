/**
 * OpenFaaS of-watchdog "http" mode: run the function's own HTTP server
 * (`fprocess`) and forward each request to it (`upstream_url`), so a function
 * in any language runs unchanged behind our HTTP/3 watchdog. The upstream
 * inherits the worker's environment; if it exits, the worker exits too, so
 * that the invoker replaces it.
 *
 * Where bubblewrap works, the upstream runs in its sandbox (sandbox.ts): it
 * sees its own directory read-only, its `allow_write` paths, the system
 * runtime and a private /tmp, and nothing of the user's home, the qfaas
 * cache or other functions. Where it does not, the upstream runs as before
 * and the worker says so in one warning line.
 *
 * @module
 */
import type { FunctionHandler } from "./function_loader.ts";
import { planSandbox, sandboxArgv, SandboxError, sandboxSupport } from "./sandbox.ts";

/** The upstream process and the handler that forwards to it. */
export interface Upstream {
  /** Forwards a request to the upstream and returns its response. */
  handler: FunctionHandler;
  /** Resolves with the upstream's exit code when it ends. */
  exited: Promise<number>;
  /** Whether it runs in the bubblewrap sandbox. */
  sandboxed: boolean;
  /**
   * Stops the upstream: SIGTERM. Sandboxed, SIGTERM ends bwrap, which does
   * not forward it, and the kernel kills everything in the sandbox (SIGKILL),
   * as a container runtime does to an of-watchdog fprocess; the watchdog has
   * drained its requests before.
   */
  stop(): Promise<void>;
}

/** Options of `startUpstream`. */
export interface UpstreamOptions {
  /** The command line, split on whitespace as of-watchdog does (no shell). */
  fprocess: string;
  /** Where the upstream listens, e.g. http://127.0.0.1:5000. */
  upstreamUrl: string;
  /** Working directory of the upstream, its function's directory. Default: the worker's. */
  cwd?: string;
  /** How long the upstream may take to accept its first request. Default 10 s. */
  readyTimeoutMs?: number;
  /** The upstream's whole environment (default: the worker's own). */
  env?: Record<string, string>;
  /** Paths it may write (`allow_write`, absolute, existing); sandboxed, nothing else is writable. */
  writable?: readonly string[];
  /** More read-only paths its runtime needs when sandboxed (an interpreter outside /usr). */
  readOnly?: readonly string[];
  /**
   * Run it in the bubblewrap sandbox. "auto" (default): probe bwrap once per
   * process (`sandboxSupport`, ~15-35 ms), sandbox where it works, else run
   * unsandboxed and log one warning line. true: sandbox without probing (the
   * caller knows it works, e.g. the CLI probed once for every worker); no
   * bwrap is a SandboxError, and a bwrap that cannot create its namespaces
   * fails the start with its own message. false: never (the caller has said
   * why, once).
   */
  sandbox?: boolean | "auto";
  /** The worker's name, for its warning line. */
  name?: string;
}

/** The argv that runs `command`: in the sandbox when `options.sandbox` says so and bwrap works. */
async function wrap(
  command: string[],
  options: UpstreamOptions,
): Promise<{ argv: string[]; cwd: string | undefined; sandboxed: boolean }> {
  const mode = options.sandbox ?? "auto";
  if (mode === false) return { argv: command, cwd: options.cwd, sandboxed: false };
  const support = mode === true ? { available: true as const } : await sandboxSupport();
  if (!support.available) {
    console.error(JSON.stringify({
      level: "warn",
      worker: options.name ?? "worker",
      warning: `upstream "${options.fprocess}" runs unsandboxed: ${support.reason}`,
      hint: support.hint,
    }));
    return { argv: command, cwd: options.cwd, sandboxed: false };
  }
  const cwd = options.cwd ?? Deno.cwd();
  const plan = await planSandbox({
    command,
    cwd,
    writable: options.writable,
    readOnly: options.readOnly,
    env: options.env ?? Deno.env.toObject(),
  });
  return { argv: sandboxArgv(plan), cwd, sandboxed: true };
}

/** Starts the upstream (sandboxed where it can be) and waits until it answers HTTP. */
export async function startUpstream(options: UpstreamOptions): Promise<Upstream> {
  const fprocess = options.fprocess.trim().split(/\s+/).filter((part) => part !== "");
  if (fprocess.length === 0) throw new TypeError("Cannot start the upstream: fprocess is empty");
  const upstream = new URL(options.upstreamUrl);
  const { argv: [command, ...args], cwd, sandboxed } = await wrap(fprocess, options);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      cwd,
      // Exactly `env` when given: nothing of the worker's own environment leaks past it.
      // Sandboxed, /tmp is its own: a TMPDIR elsewhere would not be there.
      env: sandboxed ? { ...(options.env ?? Deno.env.toObject()), TMPDIR: "/tmp" } : options.env,
      clearEnv: options.env !== undefined,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    if (sandboxed && error instanceof Deno.errors.NotFound) {
      throw new SandboxError(
        `Cannot start the upstream "${options.fprocess}" sandboxed: bwrap (bubblewrap) is not installed`,
        { command: options.fprocess, cause: error },
      );
    }
    throw error;
  }
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
    sandboxed,
    async stop() {
      if (!gone) child.kill("SIGTERM");
      await exited;
      client.close();
    },
  };
}
