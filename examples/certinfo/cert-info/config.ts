/**
 * The function's settings, a pure function of its environment (set them in
 * `qfaas.json` `env`, or `.env`):
 *
 * - `CERTINFO_TIMEOUT`: how long a connection and TLS handshake may take;
 *   milliseconds, or `500ms`, `5s`, `1m`. Default `5s`.
 * - `CERTINFO_CA_CERTS`: PEM certificates trusted in addition to the
 *   built-in roots (e.g. a private CA), when deciding whether a certificate
 *   is trusted.
 *
 * @module
 */

/** What `loadConfig` reads. */
export interface CertInfoConfig {
  /** Connection plus TLS handshake deadline, ms. */
  timeoutMs: number;
  /** Extra trusted roots (PEM, one per certificate); empty for the built-in roots only. */
  extraCaCerts: string[];
}

/** The default deadline for connecting and the TLS handshake: 5 s. */
export const DEFAULT_TIMEOUT_MS = 5000;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads the settings from an environment.
 *
 * @param env The environment, e.g. `Deno.env.toObject()`.
 * @returns The settings, with defaults for what is unset.
 * @throws {TypeError} When a setting is malformed.
 *
 * @example
 * ```ts
 * loadConfig({ CERTINFO_TIMEOUT: "2s" }); // { timeoutMs: 2000, extraCaCerts: [] }
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): CertInfoConfig {
  const timeout = env.CERTINFO_TIMEOUT?.trim();
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (timeout) {
    const match = DURATION.exec(timeout);
    timeoutMs = match ? Number(match[1]) * UNIT_MS[match[2] ?? "ms"] : NaN;
    if (!(timeoutMs > 0)) {
      throw new TypeError(
        `Cannot read CERTINFO_TIMEOUT: expected a positive duration like 5s or 500ms, received "${timeout}"`,
      );
    }
  }
  const pem = env.CERTINFO_CA_CERTS ?? "";
  const extraCaCerts = pem.match(PEM_CERTIFICATE) ?? [];
  if (pem.trim() !== "" && extraCaCerts.length === 0) {
    throw new TypeError(
      "Cannot read CERTINFO_CA_CERTS: expected PEM certificates (-----BEGIN CERTIFICATE-----)",
    );
  }
  return { timeoutMs, extraCaCerts };
}
