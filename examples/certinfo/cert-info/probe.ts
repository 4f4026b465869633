/**
 * Connects to a host over TLS and takes its leaf certificate, trusted or not,
 * with whether it chains to a trusted root and matches the name. Uses
 * `node:tls`, which in Deno reports the certificate and the verification
 * result without refusing the connection.
 *
 * @module
 */
import { connect, rootCertificates, type TLSSocket } from "node:tls";
import { HttpError } from "./http_error.ts";

/** Where to connect and what to trust. */
export interface ProbeOptions {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Server name to send (SNI) and check the certificate against. */
  servername?: string;
  /** Deadline for the connection and the handshake, ms. */
  timeoutMs: number;
  /** Roots trusted besides the built-in ones (PEM). */
  extraCaCerts?: string[];
}

/** What the handshake showed. */
export interface ProbeResult {
  /** The leaf certificate, DER. */
  der: Uint8Array;
  /** Whether it chains to a trusted root and names the host. */
  trusted: boolean;
  /** Why not (an OpenSSL-style code such as `UNABLE_TO_VERIFY_LEAF_SIGNATURE`), or null. */
  trustError: string | null;
  /** The negotiated TLS version, e.g. `TLSv1.3`, if known. */
  protocol: string | null;
  /** The address connected to. */
  address: string | null;
}

/** Node's system errors carry a code. */
interface CodedError extends Error {
  code?: string;
}

/** Turns a failed connection or handshake into the 502 that explains it. */
function probeFailure(error: CodedError, where: string): HttpError {
  const code = error.code ?? "";
  if (code === "ECONNREFUSED") {
    return new HttpError(502, "connection_refused", `${where} refused the connection`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    return new HttpError(502, "unresolved_host", `cannot resolve ${where}: ${error.message}`);
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return new HttpError(502, "unreachable", `${where} is unreachable: ${error.message}`);
  }
  if (code.startsWith("ERR_SSL") || code === "ECONNRESET" || code === "EPIPE") {
    return new HttpError(
      502,
      "not_tls",
      `${where} did not complete a TLS handshake (is it a TLS port?): ${error.message}`,
    );
  }
  return new HttpError(502, "handshake_failed", `cannot probe ${where}: ${error.message}`);
}

/**
 * Connects, completes the TLS handshake and returns the leaf certificate.
 *
 * @param options Where to connect, the deadline and extra trusted roots.
 * @returns The certificate and whether it is trusted.
 * @throws {HttpError} 502 when the host cannot be resolved or reached, refuses,
 * is not a TLS server, or does not finish the handshake in time.
 */
export function probe(options: ProbeOptions): Promise<ProbeResult> {
  const { host, port, servername, timeoutMs, extraCaCerts = [] } = options;
  const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({
      host,
      port,
      servername,
      // Look, do not judge: an untrusted certificate is reported, not refused.
      rejectUnauthorized: false,
      // Both the built-in roots and ours, whether `ca` adds to or replaces the defaults.
      ca: extraCaCerts.length > 0 ? [...rootCertificates, ...extraCaCerts] : undefined,
    });
    const timer = setTimeout(() => {
      finish();
      reject(
        new HttpError(
          502,
          "timeout",
          `${where} did not complete a TLS handshake within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => {}); // late errors of a socket we are done with
      socket.destroy();
    };
    socket.once("error", (error: CodedError) => {
      finish();
      reject(probeFailure(error, where));
    });
    socket.once("secureConnect", () => {
      const certificate = socket.getPeerCertificate(false);
      const raw = certificate?.raw;
      const result: ProbeResult = {
        der: raw ? new Uint8Array(raw) : new Uint8Array(0),
        trusted: socket.authorized,
        trustError: socket.authorizationError ? String(socket.authorizationError) : null,
        protocol: socket.getProtocol() ?? null,
        address: socket.remoteAddress ?? null,
      };
      finish();
      if (result.der.length === 0) {
        reject(new HttpError(502, "no_certificate", `${where} presented no certificate`));
      } else {
        resolve(result);
      }
    });
  });
}
