/**
 * What a leaf certificate says, read from its DER bytes: subject, issuer,
 * validity, subject alternative names and how long it has left.
 *
 * @module
 */
import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe
import * as x509 from "@peculiar/x509";

/** The fields certinfo reports. */
export interface CertificateDetails {
  /** Subject distinguished name, e.g. `CN=example.com, O=Example`. */
  subject: string;
  /** Subject common name, or null when the subject has none. */
  commonName: string | null;
  /** Issuer distinguished name. */
  issuer: string;
  /** Issuer common name (or organisation, when it has no CN), or null. */
  issuerName: string | null;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** Subject alternative names: DNS names, IP addresses, e-mail addresses and URIs. */
  sans: string[];
  /** Serial number, hex. */
  serialNumber: string;
  /** SHA-256 of the DER, hex pairs joined with ":". */
  fingerprintSha256: string;
  /** Seconds from `now` to `notAfter` (negative once expired). */
  secondsRemaining: number;
  /** Whether `now` is past `notAfter`. */
  expired: boolean;
  /** Whether `now` is before `notBefore`. */
  notYetValid: boolean;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** The subject alternative names as `value`s (IP addresses in their usual form). */
function alternativeNames(certificate: x509.X509Certificate): string[] {
  const extension = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  if (!extension) return [];
  return extension.names.items
    .filter((name) => ["dns", "ip", "email", "url"].includes(name.type))
    .map((name) => name.value);
}

/**
 * Reads a certificate.
 *
 * @param der The certificate, DER.
 * @param now The moment to measure the time remaining from.
 * @returns Its details.
 * @throws {Error} When the bytes are not an X.509 certificate.
 */
export async function readCertificate(der: Uint8Array, now: Date): Promise<CertificateDetails> {
  const bytes = new Uint8Array(der); // an ArrayBuffer of its own, as WebCrypto wants
  const certificate = new x509.X509Certificate(bytes);
  const first = (name: x509.Name, type: string) => name.getField(type)[0] ?? null;
  const issuerName = first(certificate.issuerName, "CN") ?? first(certificate.issuerName, "O");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const secondsRemaining = Math.floor((certificate.notAfter.getTime() - now.getTime()) / 1000);
  return {
    subject: certificate.subject,
    commonName: first(certificate.subjectName, "CN"),
    issuer: certificate.issuer,
    issuerName,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    sans: alternativeNames(certificate),
    serialNumber: certificate.serialNumber,
    fingerprintSha256: hex(digest),
    secondsRemaining,
    expired: secondsRemaining < 0,
    notYetValid: now.getTime() < certificate.notBefore.getTime(),
  };
}
