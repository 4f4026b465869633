/**
 * The dev CA: created on first use under the user's cache directory (the
 * directory 0700, the key 0600) and reused after, so that clients can be told
 * once which CA to trust.
 *
 * @module
 */
import { type CertificateAuthority, createCa, loadCa } from "./certs.ts";

/** Where QFaaS keeps its cache: $XDG_CACHE_HOME/qfaas, else ~/.cache/qfaas. */
export function cacheDir(env: { get(name: string): string | undefined } = Deno.env): string {
  const xdg = env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/qfaas`;
  const home = env.get("HOME");
  if (!home) {
    throw new Error("Cannot find a cache directory: neither XDG_CACHE_HOME nor HOME is set");
  }
  return `${home}/.cache/qfaas`;
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * The dev CA's certificate alone (PEM), for clients: only the gateway
 * process reads the key. A NotFound error says to start `qfaas dev` first.
 */
export async function devCaCertificate(dir = `${cacheDir()}/ca`): Promise<string> {
  const certPath = `${dir}/ca.pem`;
  const cert = await readIfExists(certPath);
  if (cert === null) {
    throw new Deno.errors.NotFound(
      `No dev CA at ${certPath}: qfaas dev creates it on its first start`,
    );
  }
  return cert;
}

/**
 * Loads the dev CA from `dir` (default `cacheDir()`/ca), creating it on first
 * use. Refuses a key file that others can read. For the gateway process only.
 */
export async function devCa(
  dir = `${cacheDir()}/ca`,
  commonName = "QFaaS dev CA",
): Promise<CertificateAuthority> {
  const certPath = `${dir}/ca.pem`;
  const keyPath = `${dir}/ca-key.pem`;
  const [cert, key] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (cert !== null && key !== null) {
    const mode = (await Deno.stat(keyPath)).mode;
    if (mode !== null && (mode & 0o077) !== 0) {
      throw new Error(
        `Refusing the dev CA key ${keyPath}: its mode ${
          (mode & 0o777).toString(8)
        } lets others read it (want 600)`,
      );
    }
    return loadCa(cert, key);
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const ca = await createCa(commonName);
  // Write the key first and atomically, so no reader sees a certificate without its key.
  const temporary = `${keyPath}.${crypto.randomUUID()}`;
  await Deno.writeTextFile(temporary, ca.key, { mode: 0o600 });
  await Deno.rename(temporary, keyPath);
  await Deno.writeTextFile(certPath, ca.cert, { mode: 0o600 });
  return ca;
}
