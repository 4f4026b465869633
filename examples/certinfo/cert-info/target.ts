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
