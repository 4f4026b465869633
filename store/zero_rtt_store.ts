/**
 * The 0-RTT store: the newest client session per worker, which the gateway
 * offers on its next connection to that worker. Reads are synchronous (they
 * sit on the request path); a file-backed store persists in the background.
 * A shared backend can implement the same interface later.
 *
 * @module
 */

/** The newest session per worker. */
export interface ZeroRttStore {
  /** The session to offer `worker`, if any. */
  get(worker: string): Uint8Array | undefined;
  /** Keeps `session` as `worker`'s newest (minted, or a new ticket the worker issued). */
  set(worker: string, session: Uint8Array): void;
  /** Forgets `worker` (it ended; its ticket key is gone). */
  delete(worker: string): void;
  /** The workers with a session. */
  workers(): string[];
  /** Resolves once every change so far is durable (immediately for memory). */
  flush(): Promise<void>;
}

/** The embedded default: a map in memory. */
export class MemoryStore implements ZeroRttStore {
  #sessions = new Map<string, Uint8Array>();

  /** The session to offer `worker`, if any. */
  get(worker: string): Uint8Array | undefined {
    return this.#sessions.get(worker);
  }

  /** Keeps a copy of `session` as `worker`'s newest. */
  set(worker: string, session: Uint8Array): void {
    this.#sessions.set(worker, session.slice());
  }

  /** Forgets `worker`. */
  delete(worker: string): void {
    this.#sessions.delete(worker);
  }

  /** The workers with a session. */
  workers(): string[] {
    return [...this.#sessions.keys()];
  }

  /** Nothing to wait for in memory. */
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A memory store mirrored to a JSON file (mode 0600), rewritten atomically after changes. */
export class FileStore extends MemoryStore {
  /** The JSON file the store mirrors to. */
  readonly path: string;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;

  private constructor(path: string) {
    super();
    this.path = path;
  }

  /** Opens the store at `path`, loading what a previous run left there. */
  static async open(path: string): Promise<FileStore> {
    const store = new FileStore(path);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return store;
      throw error;
    }
    let saved: unknown;
    try {
      saved = JSON.parse(text);
    } catch (cause) {
      throw new Error(`Cannot open the 0-RTT store ${path}: it is not JSON`, { cause });
    }
    if (typeof saved !== "object" || saved === null || Array.isArray(saved)) {
      throw new Error(
        `Cannot open the 0-RTT store ${path}: expected an object of worker → session`,
      );
    }
    for (const [worker, session] of Object.entries(saved)) {
      if (typeof session !== "string") {
        throw new Error(`Cannot open the 0-RTT store ${path}: bad entry ${worker}`);
      }
      MemoryStore.prototype.set.call(store, worker, Uint8Array.fromBase64(session)); // no write-back while loading
    }
    return store;
  }

  /** Keeps the session and schedules a write of the file. */
  override set(worker: string, session: Uint8Array): void {
    super.set(worker, session);
    this.#schedule();
  }

  /** Forgets the worker and schedules a write of the file. */
  override delete(worker: string): void {
    super.delete(worker);
    this.#schedule();
  }

  /** Resolves once the file holds every change so far; rejects if the last write failed. */
  override flush(): Promise<void> {
    return this.#writing;
  }

  /** Coalesces changes into one write after the current turn. */
  #schedule(): void {
    if (this.#dirty) return;
    this.#dirty = true;
    // A failed write is reported by flush(); the next change writes again.
    this.#writing = this.#writing.catch(() => {}).then(async () => {
      await Promise.resolve();
      this.#dirty = false;
      const snapshot = Object.fromEntries(this.workers().map((w) => [w, this.get(w)!.toBase64()]));
      const temporary = `${this.path}.${crypto.randomUUID()}`;
      await Deno.writeTextFile(temporary, JSON.stringify(snapshot), { mode: 0o600 });
      await Deno.rename(temporary, this.path);
    });
  }
}
