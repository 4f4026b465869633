/**
 * A function's pool of workers: spawn on demand (scale from zero), reuse idle
 * warm workers, scale up under concurrency up to `max` (`maxStarting` at a
 * time; a waiting request takes the first worker ready or idle), keep `min` warm (and
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
  /**
   * Most workers starting at once: a burst beyond it waits for those (or for
   * a worker to go idle) instead of starting a process per request on the
   * same cores (docs/results/stem-cells.md). Default: the number of CPUs.
   */
  maxStarting?: number;
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
  /** When it became ready (performance.now()). */
  readonly readyAt: number;
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

/** A function's workers as the invoker uses them: started here (`FunctionPool`) or found elsewhere. */
export interface WorkerPool {
  /** Live workers. */
  readonly size: number;
  /** The live workers' names. */
  readonly workers: string[];
  /** Their process ids (none for workers elsewhere). */
  pids(): number[];
  /** A worker for one request. */
  acquire(): Promise<Lease>;
  /** Gets `count` workers ready ahead of requests. */
  warm(count?: number): Promise<void>;
  /** Takes a stuck or dead worker out at once. */
  retire(slot: Slot): void;
  /** Stops (or forgets) every worker. */
  close(): Promise<void>;
}

/** Workers of one function. */
export class FunctionPool implements WorkerPool {
  #spawn: () => Promise<WorkerProcess>;
  #min: number;
  #max: number;
  #maxStarting: number;
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
  /** Workers started for one request in `acquire` and held for it until it takes them. */
  #claims = new WeakMap<Slot, object>();
  /** Starts under way: `close` waits for them. */
  #starts = new Set<Promise<Slot>>();
  /** Requests in `acquire` waiting for a worker to become ready or idle. */
  #waiters: (() => void)[] = [];

  /** `spawn` starts one worker; the pool decides when. */
  constructor(spawn: () => Promise<WorkerProcess>, options: PoolOptions = {}) {
    this.#spawn = spawn;
    this.#min = options.min ?? DEFAULTS.min;
    this.#max = Math.max(1, options.max ?? DEFAULTS.max);
    this.#maxStarting = Math.max(1, options.maxStarting ?? navigator.hardwareConcurrency);
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

  /**
   * A worker for one request: an idle one; else, if another may start (below
   * `max`, and fewer than `maxStarting` starting), whichever comes first of a
   * worker going idle and the one started for this request; else, while
   * starts are under way, the first worker idle or ready; else the least
   * busy. So a burst is served by the first workers ready (a stem cell's in
   * tens of ms) rather than each request waiting for a process of its own,
   * and the pool grows by `maxStarting` at a time, not by one process per
   * waiting request all starting on the same cores. `cold` says the request
   * waited for its worker to start.
   */
  async acquire(): Promise<Lease> {
    const arrived = performance.now();
    for (;;) {
      this.#assertOpen();
      const idle = this.#idle();
      if (idle) return this.#lease(idle, idle.readyAt > arrived);
      if (
        (this.#slots.length + this.#spawning < this.#max && this.#spawning < this.#maxStarting) ||
        (this.#failure && this.#slots.length === 0)
      ) {
        return await this.#acquireStarting(arrived);
      }
      // Starts are under way (or none may start): wait for one, or for a worker to go idle.
      if (this.#slots.length === 0 || this.#spawning > 0) await this.#nextChange();
      else return this.#lease(this.#leastBusy(), false);
    }
  }

  /** Starts a worker for this request, and takes it or whichever worker is idle first. */
  async #acquireStarting(arrived: number): Promise<Lease> {
    // The worker started here is held for this request (inflight 1) from the moment it is
    // ready, so other waiters do not take it first; let go if this request is served elsewhere.
    const claim = {};
    let mine: Slot | null = null;
    let done = false;
    const own = this.#start(claim).then((slot) => {
      const claimed = this.#claims.get(slot) === claim;
      this.#claims.delete(slot);
      if (claimed && done) this.#letGo(slot);
      else if (claimed) mine = slot;
      return { slot };
    }, (error: unknown) => ({ error }));
    try {
      for (;;) {
        const outcome = await Promise.race([own, this.#nextChange()]);
        this.#assertOpen();
        if (mine) return this.#lease(mine, true, true);
        const free = this.#idle();
        if (free) return this.#lease(free, free.readyAt > arrived);
        if (outcome && "slot" in outcome) return this.#lease(outcome.slot, true); // shared start
        if (outcome && "error" in outcome) {
          if (this.#slots.length === 0) throw outcome.error;
          return this.#lease(this.#leastBusy(), false); // its start failed; others serve
        }
      }
    } finally {
      done = true;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("Cannot acquire a worker: the pool is closed");
  }

  #idle(): Slot | undefined {
    return this.#slots.find((s) => s.inflight === 0);
  }

  #leastBusy(): Slot {
    return this.#slots.reduce((a, b) => (b.inflight < a.inflight ? b : a));
  }

  /** Resolves (with null) when a worker becomes ready or idle, or the pool closes. */
  #nextChange(): Promise<null> {
    return new Promise((resolve) => this.#waiters.push(() => resolve(null)));
  }

  /** Wakes every request waiting in `acquire`; each looks again. */
  #changed(): void {
    for (const wake of this.#waiters.splice(0)) wake();
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
    this.#changed();
    clearTimeout(this.#restoring);
    if (this.#reaper !== null) clearInterval(this.#reaper);
    // Starts still under way (one a request no longer waits for, after it was served by
    // another worker) end here too: each stops its worker once it is up (see #start), so
    // no worker outlives the pool.
    await Promise.all([
      ...[...this.#slots].map((slot) => this.#remove(slot).worker.stop()),
      // Their outcome is their requests' to report; here only their end matters.
      ...[...this.#starts].map((start) => start.then(() => {}, () => {})),
    ]);
  }

  /** Adds a ready worker; `claim`: held (inflight 1) for the request that started it. */
  #add(worker: WorkerProcess, claim?: object): Slot {
    const now = performance.now();
    const slot: Slot = { worker, inflight: claim ? 1 : 0, lastUsed: now, readyAt: now };
    if (claim) this.#claims.set(slot, claim);
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
  #start(claim?: object): Promise<Slot> {
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
      return this.#add(worker, claim);
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
    }).finally(() => {
      this.#spawning--;
      this.#starts.delete(attempt);
      this.#changed(); // a worker is ready, or a start slot is free again
    });
    this.#starts.add(attempt);
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

  /** Hands `slot` out for one request; `held`: its inflight already counts this request. */
  #lease(slot: Slot, cold: boolean, held = false): Lease {
    return leaseSlot(slot, cold, { held, onIdle: () => this.#changed() });
  }

  /** One request less on `slot`; waiters look again when it goes idle. */
  #letGo(slot: Slot): void {
    letGo(slot, () => this.#changed());
  }
}

/**
 * Hands `slot` out for one request: its `inflight` counts the request (unless
 * `held` says it does already) until `release`, once; `onIdle` is told when
 * its last request ends. Every pool's leases (replica_pool.ts too).
 */
export function leaseSlot(
  slot: Slot,
  cold: boolean,
  options: { held?: boolean; onIdle?: () => void } = {},
): Lease {
  if (!options.held) slot.inflight++;
  let released = false;
  return {
    slot,
    cold,
    release: () => {
      if (released) return;
      released = true;
      letGo(slot, options.onIdle);
    },
  };
}

/** One request less on `slot`. */
function letGo(slot: Slot, onIdle?: () => void): void {
  slot.inflight--;
  slot.lastUsed = performance.now();
  if (slot.inflight === 0) onIdle?.();
}
