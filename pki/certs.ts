/**
 * Certificates for the local trust domain: a dev CA and leaf certificates it
 * signs (ECDSA P-256). The CA is never an end-entity certificate, since rustls
 * rejects that; every leaf names the hosts it serves.
 *
 * @module
 */
import "reflect-metadata"; // @peculiar/x509 resolves its services through tsyringe
import * as x509 from "@peculiar/x509";
import { type CertificateRole, roleUsages } from "./roles.ts";

x509.cryptoProvider.set(crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface CertifiedKey {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
}

/** A certificate authority able to sign leaves. */
export interface CertificateAuthority extends CertifiedKey {
  /** The CA's keys, for signing. */
  keys: CryptoKeyPair;
  /** The CA's subject distinguished name, as leaves name their issuer. */
  subject: string;
}

/**
 * A CA as a process knows it: with its key where it issues certificates (the
 * dev gateway), its certificate alone where it only verifies them (a cluster's
 * gateway and replicas, which get their certificates issued elsewhere).
 */
export type TrustAnchor = CertificateAuthority | { readonly cert: string };

/** Whether `ca` holds its key, so it can issue certificates. */
export function canIssue(ca: TrustAnchor): ca is CertificateAuthority {
  return "keys" in ca;
}

/** What a leaf certificate names. */
export interface LeafOptions {
  /** Subject common name. */
  commonName: string;
  /** DNS names for the SAN extension; default: the common name. */
  dnsNames?: string[];
  /** IP addresses for the SAN extension. */
  ipAddresses?: string[];
  /** Validity in days; default 90. */
  validDays?: number;
  /** What the certificate is for (its extended key usages, see roles.ts); default "server". */
  role?: CertificateRole;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  return x509.PemConverter.encode(pkcs8.buffer, "PRIVATE KEY");
}

function serial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Creates a self-signed CA that may only sign end-entity certificates. */
export async function createCa(
  commonName: string,
  validDays = 3650,
): Promise<CertificateAuthority> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + validDays * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert: certificate.toString("pem"),
    key: await exportKey(keys.privateKey),
    keys,
    subject: certificate.subject,
  };
}

/** Issues a leaf certificate signed by `ca`: for a TLS server unless `options.role` says otherwise. */
export async function issueLeaf(
  ca: CertificateAuthority,
  options: LeafOptions,
): Promise<CertifiedKey> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const names: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? [options.commonName]).map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.commonName}`,
    issuer: ca.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + (options.validDays ?? 90) * DAY_MS),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(roleUsages(options.role ?? "server"), false),
      new x509.SubjectAlternativeNameExtension(names, false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false),
    ],
  });
  return { cert: certificate.toString("pem"), key: await exportKey(keys.privateKey) };
}

/**
 * Base64 SHA-256 of a certificate's SubjectPublicKeyInfo: what Chromium's
 * --ignore-certificate-errors-spki-list and HPKP-style pins expect.
 */
export async function spkiSha256(certPem: string): Promise<string> {
  const spki = new x509.X509Certificate(certPem).publicKey.rawData;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", spki));
  return digest.toBase64();
}

/** Rebuilds a CA from its PEM certificate and PKCS#8 key (as `createCa` wrote them). */
export async function loadCa(cert: string, key: string): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(cert);
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(key),
    ALGORITHM,
    true,
    ["sign"],
  );
  const publicKey = await certificate.publicKey.export(ALGORITHM, ["verify"]);
  return { cert, key, keys: { privateKey, publicKey }, subject: certificate.subject };
}
