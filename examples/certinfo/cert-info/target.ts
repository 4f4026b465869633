/**
 * Which host to look at and how to answer, read from the request:
 *
 * - `?host=example.com` (or `?host=example.com:8443`, `?host=[::1]:8443`), or
 *   the host as the path: `/function/cert-info/example.com:8443`;
 * - `?port=8443` (default 443; wins over a port in the host);
 * - `?servername=name`: the TLS server name (SNI) to send and to check the
 *   certificate against; default the host, unless it is an IP address;
 * - `?output=json` for JSON; default text.
 *
 * Or, as the paper's Cert Info and the OpenFaaS original take it, a POST with
 * the host in the body: `example.com`, `example.com:8443` or
 * `https://example.com:8443/` as text, or JSON `{ "host", "port",
 * "servername", "output" }` (`parseTargetBody`). The query's `output` (and
 * `port`, `servername`) still apply to a text body.
 *
 * @module
 */
import { isIP } from "node:net";
import { HttpError } from "./http_error.ts";

/** What to probe and how to answer. */
export interface Target {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** TCP port. */
  port: number;
  /** The server name to send (SNI) and verify against; undefined for an IP address. */
  servername: string | undefined;
  /** Response format. */
  output: "text" | "json";
}

/** The TLS port when none is given. */
export const DEFAULT_PORT = 443;

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;

/** Splits `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address. */
function splitHostPort(value: string): { host: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] };
  const colons = value.split(":").length - 1;
  if (colons === 1) {
    const [host, port] = value.split(":");
    return { host, port };
  }
  return { host: value };
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new HttpError(400, "invalid_port", `port must be 1 to 65535, received "${text}"`);
  }
  return port;
}

/**
 * Reads the target from a request URL.
 *
 * @param url The request's URL (the gateway passes the path after the function name).
 * @returns What to probe.
 * @throws {HttpError} 400 with code `missing_host`, `invalid_host`, `invalid_port`,
 * `invalid_servername` or `invalid_output`.
 *
 * @example
 * ```ts
 * parseTarget(new URL("http://x/?host=example.com&output=json"));
 * // { host: "example.com", port: 443, servername: "example.com", output: "json" }
 * ```
 */
export function parseTarget(url: URL): Target {
  const query = url.searchParams;
  const fromPath = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ""));
  const raw = (query.get("host") ?? fromPath).trim();
  if (raw === "") {
    throw new HttpError(
      400,
      "missing_host",
      "give the host to inspect: ?host=example.com[&port=443], or /example.com[:port] as the path",
    );
  }
  if (raw.includes("/")) {
    throw new HttpError(400, "invalid_host", `give a host name, not a URL: "${raw}"`);
  }
  const { host, port: portInHost } = splitHostPort(raw);
  if (!isIP(host) && !HOST_NAME.test(host)) {
    throw new HttpError(400, "invalid_host", `not a host name or IP address: "${raw}"`);
  }
  const portText = query.get("port") ?? portInHost;
  const port = portText === undefined ? DEFAULT_PORT : parsePort(portText.trim());

  const servernameParam = query.get("servername")?.trim();
  if (servernameParam !== undefined && !HOST_NAME.test(servernameParam)) {
    throw new HttpError(
      400,
      "invalid_servername",
      `servername must be a DNS name, received "${servernameParam}"`,
    );
  }
  const servername = servernameParam ?? (isIP(host) ? undefined : host);

  const output = query.get("output") ?? "text";
  if (output !== "text" && output !== "json") {
    throw new HttpError(400, "invalid_output", `output must be text or json, received "${output}"`);
  }
  return { host, port, servername, output };
}

/** A URL with a scheme: the OpenFaaS original's body (`https://example.com`). */
const WITH_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The host (and port) a text body names: the body itself, or the host of a URL. */
function hostOfText(text: string): string {
  if (!WITH_SCHEME.test(text)) return text;
  try {
    return new URL(text).host;
  } catch {
    throw new HttpError(400, "invalid_host", `not a host name or URL: "${text}"`);
  }
}

/** The fields a JSON body may set, each a string or (port) a number. */
const BODY_FIELDS = ["host", "port", "servername", "output"] as const;

function fieldsOfJson(body: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new HttpError(
      400,
      "invalid_body",
      'the body is not JSON: send { "host": "example.com" }',
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "invalid_body", 'the body must be a JSON object: { "host": … }');
  }
  const fields: Record<string, string> = {};
  for (const key of BODY_FIELDS) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) continue;
    if (typeof field !== "string" && typeof field !== "number") {
      throw new HttpError(400, "invalid_body", `"${key}" must be a string or a number`);
    }
    fields[key] = String(field);
  }
  return fields;
}

/**
 * Reads the target from a POST: the host in the body, as text or JSON
 * (by `contentType`), the rest from the body or the query.
 *
 * @param url The request's URL.
 * @param body The request's body.
 * @param contentType Its content-type, if any.
 * @returns What to probe.
 * @throws {HttpError} 400 as `parseTarget`, and `invalid_body` for JSON that is not an object of strings.
 *
 * @example
 * ```ts
 * parseTargetBody(new URL("http://x/?output=json"), "example.com:8443", "text/plain");
 * // { host: "example.com", port: 8443, servername: "example.com", output: "json" }
 * ```
 */
export function parseTargetBody(url: URL, body: string, contentType: string | null): Target {
  const query = new URLSearchParams(url.searchParams);
  const json = /^application\/json\b/i.test(contentType ?? "");
  const fields = json ? fieldsOfJson(body) : { host: hostOfText(body.trim()) };
  if ((fields.host ?? "").trim() === "") {
    throw new HttpError(
      400,
      "missing_host",
      'give the host to inspect in the body: example.com[:port], or JSON { "host": "example.com" }',
    );
  }
  for (const [key, value] of Object.entries(fields)) query.set(key, value);
  return parseTarget(new URL(`http://body/?${query}`));
}
