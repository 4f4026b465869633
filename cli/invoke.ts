/**
 * `qfaas invoke NAME`: calls a function through a running gateway, with the
 * body from `-d TEXT`, `-d @FILE` or standard input, like curl. With
 * `--http3` it goes over HTTP/3 and keeps the gateway's session tickets on
 * disk, so the next invocation starts in 0-RTT (`-i` says whether it did).
 *
 * @module
 */
import { defineCommand } from "citty";
import { H3Client, type H3Result, type SessionStore } from "../h3/mod.ts";
import { cacheDir, devCaCertificate } from "../pki/mod.ts";
import { FileStore } from "../store/mod.ts";

/** What one invocation sends, parsed from the command line. */
export interface InvokeRequest {
  /** The URL: gateway, /function/, name (with its sub-path and query). */
  url: string;
  /** The method: -X, else POST with a body and GET without. */
  method: string;
  /** -H "name: value" fields. */
  headers: Headers;
  /** The body, if any. */
  body: Uint8Array<ArrayBuffer> | null;
}

/** Parses `-H "name: value"`; throws TypeError naming the malformed one. */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(":");
  const name = colon > 0 ? text.slice(0, colon).trim() : "";
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw new TypeError(`Cannot send header "${text}": use -H "name: value"`);
  }
  return [name, text.slice(colon + 1).trim()];
}

/** Reads the body that `-d` names: `@-` is standard input, `@path` a file, else the text itself. */
export async function readData(data: string): Promise<Uint8Array<ArrayBuffer>> {
  if (data === "@-") return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  if (data.startsWith("@")) return await Deno.readFile(data.slice(1));
  return new TextEncoder().encode(data);
}

/** Builds the request for function `name` at `gateway` (a base URL). */
export function invokeRequest(
  gateway: string,
  name: string,
  options: { method?: string; headers?: string[]; body: Uint8Array<ArrayBuffer> | null },
): InvokeRequest {
  const base = new URL(gateway);
  const url = new URL(`/function/${name.replace(/^\/+/, "")}`, base).href;
  const headers = new Headers((options.headers ?? []).map(parseHeader));
  const method = (options.method ?? (options.body ? "POST" : "GET")).toUpperCase();
  return { url, method, headers, body: options.body };
}

/** The default gateway: $QFAAS_GATEWAY, else the port `qfaas dev` uses. */
function defaultGateway(http3: boolean): string {
  const configured = Deno.env.get("QFAAS_GATEWAY");
  if (configured) return configured;
  return http3 ? "https://localhost:8443" : "http://127.0.0.1:8080";
}

/**
 * How long to wait after the response for the gateway's session ticket, when
 * none came yet. Our gateway (BoringSSL) sends its ticket in its first flight,
 * ahead of any response, so this wait is rarely taken; a server that sends
 * tickets only once the client's Finished arrives can answer a 0-RTT request
 * first, and closing at once would lose the ticket. The bound keeps a server
 * that sends none from costing more.
 */
export const TICKET_WAIT_MS = 50;

/** An HTTP/3 response, read to the end, and how its request travelled. */
export interface Http3Outcome {
  /** The response, its body already read (the connection is closed). */
  response: Response;
  /** One line for `-i`: whether the request went out in 0-RTT and what became of it. */
  earlyData: string;
}

/**
 * The line `-i` prints about 0-RTT, from how the request travelled and
 * whether a kept session was offered.
 */
export function describeEarlyData(
  result: Pick<H3Result, "earlyData" | "earlyDataAccepted" | "retried">,
  offered: boolean,
): string {
  if (!offered) return "0-RTT: not sent (no session yet)";
  // A retried request went out first in 0-RTT and was refused (425 Too Early).
  if (result.retried) return "0-RTT: sent, refused by the gateway (resent after the handshake)";
  if (!result.earlyData) return "0-RTT: not sent (the kept session was not usable)";
  if (result.earlyDataAccepted === true) return "0-RTT: sent, accepted";
  if (result.earlyDataAccepted === false) {
    return "0-RTT: sent, rejected (resent after the handshake)";
  }
  return "0-RTT: sent, acceptance unknown";
}

/**
 * The disk store seen as the client's session store: it rewrites the file
 * only for a session that changed, and tells when one arrives.
 */
class KeptSessions implements SessionStore {
  #store: FileStore;
  #arrived = Promise.withResolvers<void>();
  #received = false;

  constructor(store: FileStore) {
    this.#store = store;
  }

  /** Resolves when the gateway has issued a session in this run. */
  get arrived(): Promise<void> {
    return this.#arrived.promise;
  }

  /** Has the gateway issued a session in this run? */
  get received(): boolean {
    return this.#received;
  }

  get(origin: string): Uint8Array | undefined {
    return this.#store.get(origin);
  }

  set(origin: string, session: Uint8Array): void {
    this.#received = true;
    this.#arrived.resolve();
    const kept = this.#store.get(origin);
    if (kept === undefined || !sameBytes(kept, session)) this.#store.set(origin, session);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

/** Resolves when `promise` does or after `ms`, whichever is first. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, ms))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends `request` over HTTP/3, in 0-RTT when a session from an earlier run is
 * on disk, and keeps the gateway's new session there before returning.
 */
async function sendHttp3(request: InvokeRequest): Promise<Http3Outcome> {
  const ca = await devCaCertificate();
  const store = await FileStore.open(`${cacheDir()}/invoke-sessions.json`);
  const sessions = new KeptSessions(store);
  const offered = sessions.get(new URL(request.url).origin) !== undefined;
  const client = new H3Client({ ca, sessions });
  try {
    const result = await client.request(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    // Read it all before closing the connection.
    const response = new Response(await result.response.arrayBuffer(), result.response);
    // The ticket may still be on its way: closing now would lose it.
    if (!sessions.received) await within(sessions.arrived, TICKET_WAIT_MS);
    return { response, earlyData: describeEarlyData(result, offered) };
  } finally {
    await client.close();
    await store.flush();
  }
}

/** `qfaas invoke`. */
export const invokeCommand = defineCommand({
  meta: { name: "invoke", description: "Call a function through a running gateway (qfaas dev)" },
  args: {
    name: {
      type: "positional",
      required: true,
      description: "function name, optionally with a path and query: echo/a?b=1",
    },
    data: {
      type: "string",
      alias: "d",
      description: "request body: TEXT, @FILE, or @- for standard input",
    },
    method: { type: "string", alias: "X", description: "HTTP method (default GET, POST with -d)" },
    header: { type: "string", alias: "H", description: 'request header "name: value" (repeat)' },
    http3: { type: "boolean", description: "use HTTP/3, 0-RTT from the second call on" },
    include: { type: "boolean", alias: "i", description: "print the status and headers too" },
    gateway: { type: "string", description: "gateway URL (default $QFAAS_GATEWAY or dev's)" },
  },
  async run({ args, rawArgs }) {
    let request: InvokeRequest;
    try {
      const body = args.data !== undefined
        ? await readData(args.data)
        : Deno.stdin.isTerminal()
        ? null
        : await readStdinIfAny();
      // citty keeps only the last of a repeated option: collect every -H/--header ourselves.
      const headers = repeated(rawArgs, ["-H", "--header"]);
      request = invokeRequest(args.gateway ?? defaultGateway(args.http3 ?? false), args.name, {
        method: args.method,
        headers,
        body,
      });
    } catch (error) {
      console.error(`qfaas invoke: ${(error as Error).message}`);
      Deno.exit(2);
    }
    let response: Response;
    let earlyData: string | null = null;
    try {
      if (args.http3) {
        ({ response, earlyData } = await sendHttp3(request));
      } else {
        response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
        });
      }
    } catch (error) {
      console.error(
        `qfaas invoke: cannot reach the gateway at ${new URL(request.url).origin}: ${
          (error as Error).message
        }\nIs \`qfaas dev\` running? Start it with: qfaas dev ./functions`,
      );
      Deno.exit(1);
    }
    if (args.include) {
      console.log(`${response.status} ${response.statusText}`);
      for (const [name, value] of response.headers) console.log(`${name}: ${value}`);
      if (earlyData !== null) console.log(earlyData);
      console.log();
    }
    const body = new Uint8Array(await response.arrayBuffer());
    await Deno.stdout.write(body);
    if (response.status >= 400) {
      console.error(`qfaas invoke: ${args.name} answered ${response.status}`);
      Deno.exit(1);
    }
  },
});

/** Every value of a repeatable option in `rawArgs` (both `-H v` and `-H=v`). */
function repeated(rawArgs: string[], names: string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (names.includes(arg) && i + 1 < rawArgs.length) values.push(rawArgs[++i]);
    for (const name of names) {
      if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
    }
  }
  return values;
}

/** Standard input as the body when something was piped in; null when it is empty. */
async function readStdinIfAny(): Promise<Uint8Array<ArrayBuffer> | null> {
  const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  return bytes.byteLength > 0 ? bytes : null;
}
