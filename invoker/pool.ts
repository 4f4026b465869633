/**
 * A function's pool of workers: spawn on demand (scale from zero), reuse idle
 * warm workers, scale up under concurrency up to `max`, keep `min` warm (and
 * restore it when a worker dies), reap workers idle longer than `idleMs`, and
 * forget crashed ones. Only ready workers are ever handed out. A function
 * whose worker fails to start is tried again with exponential backoff (0.5 s
 * doubling to 30 s); until then it is unavailable at once, with no spawn.
 *
 * @module
 */
import { DEFAULTS } from "../config/mod.ts";
import { FunctionUnavailable, WorkerStartError } from "./errors.ts";
import type { WorkerProcess } from "./worker_process.ts";

/** The first retry after a failed start; each further failure doubles it. */
export const START_BACKOFF_MS = 500;
/** The longest wait between two start attempts. */
export const START_BACKOFF_MAX_MS = 30_000;

/** What a failed start reports to whoever runs the pool. */
export interface StartFailure {
  /** The worker's failure, with its output. */
  error: WorkerStartError;
  /** Failed starts in a row. */
  attempts: number;
  /** When the next attempt may happen, ms from now. */
  retryInMs: number;
}

/** Pool sizing and reaping. */
export interface PoolOptions {
  /** Workers kept warm even when idle. Default 0 (scale to zero). */
  min?: number;
  /** Most workers at once. Default 4. */
  max?: number;
  /** A worker idle this long (beyond `min`) is stopped. Default 5 minutes. */
  idleMs?: number;
  /** Told of each failed start (to show its output, once), and of recovery (null). */
  onStartFailure?: (failure: StartFailure | null) => void;
}

/** A worker as the pool tracks it. */
export interface Slot {
  /** The worker process. */
  readonly worker: WorkerProcess;
  /** Requests on this worker now. */
  inflight: number;
  /** When it last finished a request (performance.now()). */
  lastUsed: number;
}

/** A handed-out slot, and whether getting it included a spawn. */
export interface Lease {
  /** The worker's slot. */
  slot: Slot;
  /** The worker was started for this request. */
  cold: boolean;
  /** Ends the lease: the request is over. */
  release(): void;
}

/** Workers of one function. */
export class FunctionPool {
  #spawn: () => Promise<WorkerProcess>;
  #min: number;
  #max: number;
  #idleMs: number;
  #slots: Slot[] = [];
  #spawning = 0;
  #reaper: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  #onStartFailure: PoolOptions["onStartFailure"];
  /** The last start failed: no new attempt before `retryAt`. */
  #failure: { error: WorkerStartError; attempts: number; retryAt: number } | null = null;
  /** After a failure, one attempt at a time; concurrent requests share its outcome. */
  #probe: Promise<Slot> | null = null;
  #restoring: ReturnType<typeof setTimeout> | undefined;

  /** `spawn` starts one worker; the pool decides when. */
  constructor(spawn: () => Promise<WorkerProcess>, options: PoolOptions = {}) {
    this.#spawn = spawn;
    this.#min = options.min ?? DEFAULTS.min;
    this.#max = Math.max(1, options.max ?? DEFAULTS.max);
    this.#idleMs = options.idleMs ?? DEFAULTS.idleMs;
    this.#onStartFailure = options.onStartFailure;
  }

  /** Live workers. */
  get size(): number {
    return this.#slots.length;
  }

  /** The live workers' process ids. */
  pids(): number[] {
    return this.#slots.map((s) => s.worker.pid);
  }

  /** The live workers' names. */
  get workers(): string[] {
    return this.#slots.map((s) => s.worker.name);
  }

  /** A worker for one request: an idle one, a new one if allowed, else the least busy. */
  async acquire(): Promise<Lease> {
    if (this.#closed) throw new Error("Cannot acquire a worker: the pool is closed");
    const idle = this.#slots.find((s) => s.inflight === 0);
    if (idle) return this.#lease(idle, false);
    if (
      this.#slots.length + this.#spawning < this.#max ||
      (this.#failure && this.#slots.length === 0)
    ) {
      return this.#lease(await this.#start(), true);
    }
    if (this.#slots.length === 0) {
      // Everything allowed is still starting: wait for one to be ready.
      await new Promise((r) => setTimeout(r, 5));
      return this.acquire();
    }
    const least = this.#slots.reduce((a, b) => (b.inflight < a.inflight ? b : a));
    return this.#lease(least, false);
  }

  /** Starts workers now until `count` (default `min`, at most `max`) are live or starting. */
  async warm(count = this.#min): Promise<void> {
    while (!this.#closed && this.#slots.length + this.#spawning < Math.min(count, this.#max)) {
      await this.#start();
    }
  }

  /** Stops workers idle past `idleMs`, keeping `min`. Runs on a timer; callable directly. */
  async reap(now = performance.now()): Promise<void> {
    const idle = this.#slots.filter((s) => s.inflight === 0 && now - s.lastUsed >= this.#idleMs);
    const spare = Math.max(0, this.#slots.length - this.#min);
    await Promise.all(idle.slice(0, spare).map((slot) => this.#remove(slot).worker.stop()));
  }

  /** Takes a stuck or dead worker out of the pool at once and kills it. */
  retire(slot: Slot): void {
    this.#remove(slot);
    slot.worker.kill();
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restoring);
    if (this.#reaper !== null) clearInterval(this.#reaper);
    await Promise.all([...this.#slots].map((slot) => this.#remove(slot).worker.stop()));
  }

  #add(worker: WorkerProcess): Slot {
    const slot: Slot = { worker, inflight: 0, lastUsed: performance.now() };
    this.#slots.push(slot);
    // A worker that exits (crash, kill, reaped) leaves the pool at once; `min` is restored.
    worker.exited.then(() => {
      this.#remove(slot);
      this.#restore();
    });
    if (this.#reaper === null && !this.#closed) {
      this.#reaper = setInterval(() => this.reap(), Math.max(100, this.#idleMs / 2));
    }
    return slot;
  }

  /**
   * Starts one worker, unless the last start failed and its backoff has not
   * passed (then FunctionUnavailable at once). After a failure, concurrent
   * callers share one attempt.
   */
  #start(): Promise<Slot> {
    if (this.#failure) {
      const wait = this.#failure.retryAt - performance.now();
      if (wait > 0) return Promise.reject(new FunctionUnavailable(this.#failure.error, wait));
      if (this.#probe) return this.#probe;
    }
    this.#spawning++;
    const attempt = this.#spawn().then(async (worker) => {
      if (this.#closed) {
        // Closed while it started (a restore racing shutdown): it must not outlive the pool.
        await worker.stop();
        throw new Error("Cannot acquire a worker: the pool is closed");
      }
      if (this.#failure) this.#onStartFailure?.(null);
      this.#failure = null;
      return this.#add(worker);
    }, (error) => {
      if (!(error instanceof WorkerStartError)) throw error;
      const now = performance.now();
      // Starts that fail side by side count as one failure.
      if (this.#failure && now < this.#failure.retryAt) {
        throw new FunctionUnavailable(error, this.#failure.retryAt - now);
      }
      const attempts = (this.#failure?.attempts ?? 0) + 1;
      const retryInMs = Math.min(START_BACKOFF_MS * 2 ** (attempts - 1), START_BACKOFF_MAX_MS);
      this.#failure = { error, attempts, retryAt: now + retryInMs };
      this.#onStartFailure?.({ error, attempts, retryInMs });
      throw new FunctionUnavailable(error, retryInMs);
    }).finally(() => this.#spawning--);
    if (this.#failure) {
      this.#probe = attempt;
      attempt.catch(() => {}).finally(() => this.#probe === attempt && (this.#probe = null));
    }
    return attempt;
  }

  /** Brings the pool back to `min` live workers, retrying after the backoff if starts fail. */
  #restore(): void {
    if (this.#closed || this.#slots.length + this.#spawning >= this.#min) return;
    this.warm().catch((error) => {
      if (!(error instanceof FunctionUnavailable)) throw error;
      clearTimeout(this.#restoring);
      this.#restoring = setTimeout(() => this.#restore(), error.retryInMs + 1);
    });
  }

  #remove(slot: Slot): Slot {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    if (this.#slots.length === 0 && this.#reaper !== null) {
      clearInterval(this.#reaper);
      this.#reaper = null;
    }
    return slot;
  }

  #lease(slot: Slot, cold: boolean): Lease {
    slot.inflight++;
    let released = false;
    return {
      slot,
      cold,
      release: () => {
        if (released) return;
        released = true;
        slot.inflight--;
        slot.lastUsed = performance.now();
      },
    };
  }
}
