/**
 * `qfaas invoke NAME`: calls a function through a running gateway, with the
 * body from `-d TEXT`, `-d @FILE` or standard input, like curl. With
 * `--http3` it goes over HTTP/3 and keeps the gateway's session tickets on
 * disk, so the next invocation starts in 0-RTT.
 *
 * @module
 */
import { defineCommand } from "citty";
import { H3Client } from "../h3/mod.ts";
import { cacheDir, devCa, FileStore } from "../store/mod.ts";

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

/** Sends `request` over HTTP/3 with 0-RTT when a session from an earlier run is on disk. */
async function sendHttp3(request: InvokeRequest): Promise<Response> {
  const ca = await devCa();
  const store = await FileStore.open(`${cacheDir()}/invoke-sessions.json`);
  const client = new H3Client({ ca: ca.cert, sessions: store });
  try {
    const { response } = await client.request(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    // Read it all before closing the connection.
    return new Response(await response.arrayBuffer(), response);
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
    try {
      response = args.http3 ? await sendHttp3(request) : await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
      });
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
