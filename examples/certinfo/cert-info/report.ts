/**
 * The answer: a certificate report as aligned text lines (like the original
 * certinfo function) or as JSON.
 *
 * @module
 */
import type { CertificateDetails } from "./certificate.ts";
import type { ProbeResult } from "./probe.ts";
import type { Target } from "./target.ts";

/** Everything known about one host's certificate. */
export interface CertificateReport {
  /** What was asked for. */
  target: Target;
  /** What the handshake showed. */
  probe: Omit<ProbeResult, "der">;
  /** What the certificate says. */
  certificate: CertificateDetails;
}

/** The report as JSON: snake_case fields, dates in ISO 8601. */
export interface CertificateJson {
  /** The host asked for. */
  host: string;
  /** The port asked for. */
  port: number;
  /** The server name sent (SNI) and checked, or null for an IP address. */
  servername: string | null;
  /** The address connected to. */
  address: string | null;
  /** The TLS version negotiated, e.g. `TLSv1.3`. */
  protocol: string | null;
  /** Whether the certificate chains to a trusted root and names the host. */
  trusted: boolean;
  /** Why it is not trusted, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, or null. */
  trust_error: string | null;
  /** Subject distinguished name. */
  subject: string;
  /** Subject common name, or null. */
  common_name: string | null;
  /** Issuer distinguished name. */
  issuer: string;
  /** Issuer common name (or organisation), or null. */
  issuer_name: string | null;
  /** Start of validity, ISO 8601. */
  not_before: string;
  /** End of validity, ISO 8601. */
  not_after: string;
  /** Subject alternative names. */
  sans: string[];
  /** Serial number, hex. */
  serial_number: string;
  /** SHA-256 fingerprint of the DER, hex pairs joined with ":". */
  fingerprint_sha256: string;
  /** Whether it has expired. */
  expired: boolean;
  /** Whether it is not valid yet. */
  not_yet_valid: boolean;
  /** Seconds until it expires (negative once expired). */
  seconds_remaining: number;
  /** The same, in words: `89 days 23 hours`, `expired 2 days ago`. */
  time_remaining: string;
}

const UNITS: [string, number][] = [["day", 86_400], ["hour", 3600], ["minute", 60], [
  "second",
  1,
]];

/**
 * A duration for people, at most its two largest units: `89 days 23 hours`,
 * `5 minutes`; negative durations read `expired 3 days 2 hours ago`.
 *
 * @param seconds The duration, s.
 * @returns It in words.
 */
export function describeRemaining(seconds: number): string {
  let rest = Math.abs(Math.trunc(seconds));
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 && parts.length < 2) parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
    else if (parts.length > 0) break;
  }
  const amount = parts.length > 0 ? parts.join(" ") : "0 seconds";
  return seconds < 0 ? `expired ${amount} ago` : amount;
}

/**
 * The report as a JSON object.
 *
 * @param report The report.
 * @returns Its JSON form.
 */
export function toJson(report: CertificateReport): CertificateJson {
  const { target, probe, certificate: c } = report;
  return {
    host: target.host,
    port: target.port,
    servername: target.servername ?? null,
    address: probe.address,
    protocol: probe.protocol,
    trusted: probe.trusted,
    trust_error: probe.trustError,
    subject: c.subject,
    common_name: c.commonName,
    issuer: c.issuer,
    issuer_name: c.issuerName,
    not_before: c.notBefore.toISOString(),
    not_after: c.notAfter.toISOString(),
    sans: c.sans,
    serial_number: c.serialNumber,
    fingerprint_sha256: c.fingerprintSha256,
    expired: c.expired,
    not_yet_valid: c.notYetValid,
    seconds_remaining: c.secondsRemaining,
    time_remaining: describeRemaining(c.secondsRemaining),
  };
}

/**
 * The report as text, one `Label  value` line per field.
 *
 * @param report The report.
 * @returns The lines, each ending in a newline.
 */
export function toText(report: CertificateReport): string {
  const j = toJson(report);
  const lines: [string, string][] = [
    ["Host", j.host],
    ["Port", String(j.port)],
    ["Server name", j.servername ?? "(none)"],
    ["Address", j.address ?? "(unknown)"],
    ["Protocol", j.protocol ?? "(unknown)"],
    ["Trusted", j.trusted ? "yes" : `no (${j.trust_error ?? "not verified"})`],
    ["Common name", j.common_name ?? "(none)"],
    ["Subject", j.subject],
    ["Issuer", j.issuer],
    ["Not before", j.not_before],
    ["Not after", j.not_after],
    ["SANs", j.sans.length > 0 ? j.sans.join(", ") : "(none)"],
    ["Time remaining", j.not_yet_valid ? `${j.time_remaining} (not valid yet)` : j.time_remaining],
    ["Serial", j.serial_number],
    ["SHA-256", j.fingerprint_sha256],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join("");
}
