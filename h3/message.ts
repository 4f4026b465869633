/**
 * HTTP/3 message heads (RFC 9114 §4.2–4.3): field lines to and from the
 * request and response parts of the Fetch API, with the rules that make a
 * message malformed (H3_MESSAGE_ERROR, §4.1.2).
 *
 * @module
 */
import { H3Error, H3ErrorCode } from "./errors.ts";
import type { FieldLine } from "./qpack.ts";

/** What a request's header section says. */
export interface RequestHead {
  method: string;
  scheme: string;
  authority: string;
  path: string;
  /** The regular fields, validated, cookies joined (RFC 9114 §4.2.1): `new Headers(fields)` takes them. */
  fields: FieldLine[];
  /** The declared body length, or null when absent. */
  contentLength: number | null;
}

/** What a response's header section says. */
export interface ResponseHead {
  status: number;
  /** The regular fields, validated, cookies joined: `new Headers(fields)` takes them. */
  fields: FieldLine[];
  /** The declared body length, or null when absent. */
  contentLength: number | null;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/**
 * Connection-specific fields have no place in HTTP/3 (RFC 9114 §4.2); they
 * are the hop-by-hop fields a proxy does not forward (RFC 9110 §7.6.1).
 */
const CONNECTION_FIELDS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);
const REQUEST_PSEUDO = new Set([":method", ":scheme", ":authority", ":path"]);
const RESPONSE_PSEUDO = new Set([":status"]);
const NO_PSEUDO = new Set<string>();

/**
 * May the field go on, to HTTP/3 or through a proxy? Not a connection-specific
 * (hop-by-hop) one, nor a `te` other than "trailers" (RFC 9114 §4.2).
 */
export function isForwardable(name: string, value: string): boolean {
  return !CONNECTION_FIELDS.has(name) && (name !== "te" || value === "trailers");
}

function malformed(message: string): H3Error {
  return new H3Error(H3ErrorCode.H3_MESSAGE_ERROR, "stream", message);
}

/** Field values: no NUL, CR or LF, and no leading or trailing whitespace (RFC 9110 §5.5). */
function validValue(value: string): boolean {
  if (/[\0\r\n]/.test(value)) return false;
  return value === "" || !/^[ \t]|[ \t]$/.test(value);
}

/** Splits pseudo-header lines from regular ones, enforcing order, case and validity. */
function split(
  lines: readonly FieldLine[],
  allowed: ReadonlySet<string>,
): { pseudo: Map<string, string>; fields: FieldLine[]; contentLength: number | null } {
  const pseudo = new Map<string, string>();
  const fields: FieldLine[] = [];
  const cookies: string[] = [];
  let regular = false;
  let contentLength: number | null = null;
  for (const [name, value] of lines) {
    if (!validValue(value)) throw malformed(`invalid characters in the value of ${name}`);
    if (name.startsWith(":")) {
      if (regular) throw malformed(`pseudo-header ${name} after a regular field (RFC 9114 §4.3)`);
      if (!allowed.has(name)) throw malformed(`pseudo-header ${name} is not allowed here`);
      if (pseudo.has(name)) throw malformed(`duplicate pseudo-header ${name}`);
      pseudo.set(name, value);
      continue;
    }
    regular = true;
    if (!TOKEN.test(name)) {
      throw malformed(`invalid field name "${name}" (names must be lowercase tokens)`);
    }
    if (CONNECTION_FIELDS.has(name)) {
      throw malformed(`connection-specific field ${name} (RFC 9114 §4.2)`);
    }
    if (name === "te" && value !== "trailers") throw malformed(`te must be "trailers"`);
    if (name === "content-length") {
      const declared = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
      if (Number.isNaN(declared) || (contentLength !== null && contentLength !== declared)) {
        throw malformed(`invalid content-length "${value}"`);
      }
      contentLength = declared;
    }
    if (name === "cookie") cookies.push(value); // joined below (RFC 9114 §4.2.1)
    else fields.push([name, value]);
  }
  if (cookies.length > 0) fields.push(["cookie", cookies.join("; ")]);
  return { pseudo, fields, contentLength };
}

/** Validates a request header section (RFC 9114 §4.3.1). Throws H3_MESSAGE_ERROR. */
export function parseRequestHead(lines: readonly FieldLine[]): RequestHead {
  const { pseudo, fields, contentLength } = split(lines, REQUEST_PSEUDO);
  const method = pseudo.get(":method");
  if (!method || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) {
    throw malformed("missing or invalid :method");
  }
  const authority = pseudo.get(":authority") ?? fields.find(([name]) => name === "host")?.[1] ?? "";
  if (method === "CONNECT") {
    if (pseudo.has(":scheme") || pseudo.has(":path") || !authority) {
      throw malformed("CONNECT takes :authority only (RFC 9114 §4.4)");
    }
    return { method, scheme: "", authority, path: "", fields, contentLength };
  }
  const scheme = pseudo.get(":scheme");
  const path = pseudo.get(":path");
  if (!scheme) throw malformed("missing :scheme");
  if (!path) throw malformed("missing or empty :path");
  if ((scheme === "http" || scheme === "https") && !authority) {
    throw malformed("missing :authority and host");
  }
  if (path !== "*" && !path.startsWith("/")) {
    throw malformed(`:path "${path}" is neither origin-form nor *`);
  }
  if (path === "*" && method !== "OPTIONS") throw malformed(":path * is only for OPTIONS");
  return { method, scheme, authority, path, fields, contentLength };
}

/** Validates a response header section (RFC 9114 §4.3.2). Throws H3_MESSAGE_ERROR. */
export function parseResponseHead(lines: readonly FieldLine[]): ResponseHead {
  const { pseudo, fields, contentLength } = split(lines, RESPONSE_PSEUDO);
  const status = pseudo.get(":status");
  if (!status || !/^[1-9]\d\d$/.test(status)) {
    throw malformed(`missing or invalid :status "${status ?? ""}"`);
  }
  return { status: Number(status), fields, contentLength };
}

/** Validates a trailer section: regular fields only (RFC 9114 §4.1). */
export function parseTrailers(lines: readonly FieldLine[]): Headers {
  return new Headers(split(lines, NO_PSEUDO).fields);
}

/** Regular field lines from `headers`, dropping connection-specific ones. */
export function headerLines(headers: Headers): FieldLine[] {
  const lines: FieldLine[] = [];
  for (const line of headers) if (isForwardable(line[0], line[1])) lines.push(line);
  return lines;
}

/** The header section of a request to `url`. */
export function requestLines(method: string, url: URL, headers: Headers): FieldLine[] {
  return requestSection(
    method,
    url.protocol.slice(0, -1),
    url.host,
    `${url.pathname}${url.search}` || "/",
    headerLines(headers),
  );
}

/**
 * The header section of a request from its parts: the pseudo-headers, then
 * `fields` (regular ones, connection-specific ones already dropped) without
 * host, which `:authority` replaces (RFC 9114 §4.3.1).
 */
export function requestSection(
  method: string,
  scheme: string,
  authority: string,
  target: string,
  fields: readonly FieldLine[],
): FieldLine[] {
  const lines: FieldLine[] = [
    [":method", method],
    [":scheme", scheme],
    [":authority", authority],
    [":path", target],
  ];
  for (const line of fields) if (line[0] !== "host") lines.push(line);
  return lines;
}

/** The header section of a response. */
export function responseLines(status: number, headers: Headers): FieldLine[] {
  return [[":status", String(status)], ...headerLines(headers)];
}
