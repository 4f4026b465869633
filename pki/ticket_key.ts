/**
 * The dev gateway's session ticket key: 48 random bytes kept beside the dev
 * CA under the user's cache directory (the directory 0700, the file 0600), so
 * that a session a client kept from one `qfaas dev` run is accepted in 0-RTT
 * by the next run on the same machine. A fresh key per run would make every
 * kept session one the server cannot decrypt, and quiche then resends its
 * early data only after a loss timeout.
 *
 * Only the public listener uses it: the internal listener and the workers
 * keep per-process random keys.
 *
 * @module
 */
import { TICKET_KEY_LENGTH } from "../quic/mod.ts";
import { cacheDir } from "./dev_ca.ts";

/** The file name of the key inside its directory. */
export const TICKET_KEY_FILE = "ticket.key";

/**
 * Loads the ticket key from `dir` (default `cacheDir()`/ca, beside the dev CA),
 * creating it on first use. Refuses a key file that others can read or that
 * is not exactly 48 bytes. Two processes starting at once get the same key.
 *
 * @example
 * ```ts
 * const gateway = await startGateway({ ..., ticketKey: await devTicketKey() });
 * ```
 */
export async function devTicketKey(dir = `${cacheDir()}/ca`): Promise<Uint8Array> {
  const path = `${dir}/${TICKET_KEY_FILE}`;
  const existing = await readKey(path);
  if (existing) return existing;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const key = crypto.getRandomValues(new Uint8Array(TICKET_KEY_LENGTH));
  // Write it whole under another name, then link it in: the link fails if
  // another process got there first, and then its key is the one to use.
  const temporary = `${path}.${crypto.randomUUID()}`;
  await Deno.writeFile(temporary, key, { mode: 0o600 });
  try {
    await Deno.link(temporary, path);
    return key;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    const theirs = await readKey(path);
    if (!theirs) throw new Error(`Cannot read the ticket key ${path}: it vanished while created`);
    return theirs;
  } finally {
    await Deno.remove(temporary);
  }
}

/** The key at `path`, null if there is none; throws if others can read it or its size is wrong. */
async function readKey(path: string): Promise<Uint8Array | null> {
  let key: Uint8Array;
  try {
    key = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const mode = (await Deno.stat(path)).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new Error(
      `Refusing the ticket key ${path}: its mode ${
        (mode & 0o777).toString(8)
      } lets others read it (want 600)`,
    );
  }
  if (key.byteLength !== TICKET_KEY_LENGTH) {
    throw new Error(
      `Refusing the ticket key ${path}: received ${key.byteLength} bytes, need ${TICKET_KEY_LENGTH} ` +
        "(delete the file to make a new key)",
    );
  }
  return key;
}
