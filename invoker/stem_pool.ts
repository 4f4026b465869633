/**
 * Stem cells (OpenWhisk's prewarmed containers, Fission's pool manager):
 * worker processes started ahead, loaded (runtime, watchdog, QUIC binding)
 * and holding an identity, but no function. The invoker takes one and
 * specializes it, so a new worker costs loading its function rather than
 * starting a process. A stem cell serves one function for its life.
 *
 * Cells are kept per class (worker_process.ts `StemClass`: the flags, grant
 * and V8 limits a process is started with), since those cannot change once
 * it runs; functions of one functions directory with the same import map,
 * memory and grant share a class.
 *
 * @module
 */
import type { StemClass, StemProcess } from "./worker_process.ts";

/** Options of a `StemPool`. */
export interface StemPoolOptions {
  /** Loaded stem cells kept per class. */
  size: number;
  /**
   * Cells kept across all classes at most (free and starting), so that many
   * classes (functions of differing memory or grant) do not multiply idle
   * processes. The class most recently taken from fills first, then the
   * newest kept. Default: no cap.
   */
  maxTotal?: number;
  /** Starts a stem cell of a class. */
  spawn: (stemClass: StemClass) => Promise<StemProcess>;
  /** Told when a stem cell could not start (it is tried again after `retryMs`). */
  onError?: (error: unknown) => void;
  /** Wait before starting again after a stem cell of a class failed. Default 1 s. */
  retryMs?: number;
  /**
   * Wait after a cell is taken before starting its replacement, so that the
   * replacement's start does not compete with the taken cell's first request
   * for the CPU. Default 0.
   */
  refillDelayMs?: number;
}

interface Kept {
  stemClass: StemClass;
  /** Loaded and free. */
  free: StemProcess[];
  /** Being started. */
  starting: number;
  /** A fill is scheduled: a retry after a failure, or a delayed refill after a take. */
  scheduled: ReturnType<typeof setTimeout> | null;
  /** Forgotten (`retain`): its cells are discarded and no more are started. */
  dropped: boolean;
}

/** Stem cells per class, replaced in the background as they are taken or die. */
export class StemPool {
  #options: StemPoolOptions;
  #kept = new Map<string, Kept>();
  /** Cells being started: close() waits for them (each discards itself once closed). */
  #pending = new Set<Promise<void>>();
  /** Forgotten classes with cells still starting: they count towards `maxTotal` until they end. */
  #dropped = new Set<Kept>();
  #closed = false;

  /** An empty pool; `keep` says which classes to fill. */
  constructor(options: StemPoolOptions) {
    this.#options = options;
  }

  /** Keeps `size` stem cells of `stemClass` loaded from now on. */
  keep(stemClass: StemClass): void {
    if (this.#closed || this.#options.size <= 0) return;
    if (!this.#kept.has(stemClass.key)) {
      const kept = { stemClass, free: [], starting: 0, scheduled: null, dropped: false };
      this.#kept.set(stemClass.key, kept);
    }
    this.#fillAll();
  }

  /**
   * Keeps only the classes whose keys are in `keys` (the classes of the
   * functions registered now): free cells of the others are discarded and
   * none of them is started again, freeing their share of `maxTotal`.
   * Resolves when the discarded cells have exited.
   */
  async retain(keys: ReadonlySet<string>): Promise<void> {
    const discarded: StemProcess[] = [];
    for (const [key, kept] of this.#kept) {
      if (keys.has(key)) continue;
      this.#kept.delete(key);
      kept.dropped = true;
      if (kept.starting > 0) this.#dropped.add(kept);
      if (kept.scheduled) clearTimeout(kept.scheduled);
      kept.scheduled = null;
      discarded.push(...kept.free.splice(0));
    }
    this.#fillAll();
    await Promise.all(discarded.map((stem) => stem.discard()));
  }

  /** Moves `kept` to the end of the map: the class most recently taken from fills first. */
  #asked(kept: Kept): void {
    this.#kept.delete(kept.stemClass.key);
    this.#kept.set(kept.stemClass.key, kept);
  }

  /**
   * A loaded stem cell of `stemClass`, no longer in the pool (another one is
   * started in its place); null when none is free. Synchronous, so that two
   * callers never get the same cell.
   */
  take(stemClass: StemClass): StemProcess | null {
    const kept = this.#kept.get(stemClass.key);
    const stem = kept?.free.shift() ?? null;
    if (kept && stem) {
      this.#asked(kept);
      const delay = this.#options.refillDelayMs ?? 0;
      if (delay > 0 && kept.scheduled === null) {
        kept.scheduled = setTimeout(() => {
          kept.scheduled = null;
          this.#fillAll();
        }, delay);
      } else {
        this.#fillAll();
      }
    }
    return stem;
  }

  /** Free stem cells of `stemClass` (of every class when omitted). */
  free(stemClass?: StemClass): number {
    if (stemClass) return this.#kept.get(stemClass.key)?.free.length ?? 0;
    let n = 0;
    for (const kept of this.#kept.values()) n += kept.free.length;
    return n;
  }

  /** Process ids of the free stem cells. */
  pids(): number[] {
    return [...this.#kept.values()].flatMap((kept) => kept.free.map((stem) => stem.pid));
  }

  /**
   * Discards every stem cell, free or still starting, and starts no more;
   * resolves when all of them have exited.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const stems = [...this.#kept.values()].flatMap((kept) => {
      if (kept.scheduled) clearTimeout(kept.scheduled);
      return kept.free.splice(0);
    });
    await Promise.all([...stems.map((stem) => stem.discard()), ...this.#pending]);
  }

  /** Cells free or starting, of every class. */
  #total(): number {
    let n = 0;
    for (const kept of this.#kept.values()) n += kept.free.length + kept.starting;
    for (const kept of this.#dropped) n += kept.starting;
    return n;
  }

  /** Starts cells where classes lack them, most recently taken-from or kept first, up to `maxTotal`. */
  #fillAll(): void {
    const classes = [...this.#kept.values()].reverse();
    let room = (this.#options.maxTotal ?? Infinity) - this.#total();
    for (const kept of classes) {
      while (
        room > 0 && !this.#closed && !kept.dropped && kept.scheduled === null &&
        kept.free.length + kept.starting < this.#options.size
      ) {
        room--;
        this.#startOne(kept);
      }
    }
  }

  #startOne(kept: Kept): void {
    kept.starting++;
    const started = this.#start(kept);
    this.#pending.add(started);
    started.finally(() => this.#pending.delete(started));
  }

  /** One of `kept`'s starting cells ended its start (loaded or not). */
  #started(kept: Kept): void {
    kept.starting--;
    if (kept.dropped && kept.starting === 0 && this.#dropped.delete(kept)) this.#fillAll();
  }

  async #start(kept: Kept): Promise<void> {
    let stem: StemProcess | null = null;
    try {
      stem = await this.#options.spawn(kept.stemClass);
      await stem.loaded;
    } catch (error) {
      this.#started(kept);
      this.#options.onError?.(error);
      if (stem) await stem.discard(); // it ended already, or ends now
      if (!this.#closed && !kept.dropped && kept.scheduled === null) {
        kept.scheduled = setTimeout(() => {
          kept.scheduled = null;
          this.#fillAll();
        }, this.#options.retryMs ?? 1000);
      }
      return;
    }
    this.#started(kept);
    if (this.#closed || kept.dropped) {
      await stem.discard();
      return;
    }
    kept.free.push(stem);
    // One that dies while free is dropped and replaced, never handed out.
    stem.exited.then(() => {
      const at = kept.free.indexOf(stem);
      if (at < 0) return; // taken, or discarded
      kept.free.splice(at, 1);
      this.#fillAll();
    });
  }
}
