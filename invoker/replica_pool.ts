/**
 * A function's workers when they run elsewhere (replicas on a cluster, issue
 * 16): nothing is started here. The replicas are found (`ReplicaSource`,
 * e.g. the A records of a headless Service), each is offered the session
 * minted for the function's shared identity, so a new connection to any of
 * them, a brand-new pod included, is 0-RTT. Requests go to an idle replica,
 * else the least busy, ties in turn. While requests come, the replicas are
 * found again and probed every `refreshMs`; one that fails a request or a
 * probe is dropped (requests in flight on it end), and set aside until it is
 * found alive again after `retryMs`.
 *
 * @module
 */
import { FunctionUnavailable, WorkerStartError } from "./errors.ts";
import { type Lease, leaseSlot, type Slot, type WorkerPool } from "./pool.ts";
import type { WorkerProcess } from "./worker_process.ts";
import type { Transport } from "../config/mod.ts";

/** One replica as found. */
export interface ReplicaAddress {
  /** Its IP address (or host name). */
  address: string;
  /** Its port. */
  port: number;
  /** The port of its health endpoint (HTTP `/healthz`), if it has one. */
  healthPort?: number;
}

/** Where a function's replicas are. */
export interface ReplicaSource {
  /** The replicas of `name` ready now. */
  find(name: string): Promise<ReplicaAddress[]>;
  /** Re-find them this often (ms); default 2000. */
  refreshMs?: number;
  /** A replica set aside after a failure is not used again for this long (ms); default 5000. */
  retryMs?: number;
  /**
   * Whether a replica found is alive (its health endpoint answers), asked at
   * every refresh: null if not, else the identity of the process answering.
   * One that is not alive, or is another process than before (restarted at
   * the same address), is dropped at once: requests in flight on it end
   * (502) rather than wait on connections nobody holds. Default: all alive.
   */
  alive?: (name: string, replica: ReplicaAddress) => Promise<string | null>;
}

/** Told when a replica is found (`session` to offer it) and when it goes. */
export interface ReplicaEvents {
  /** `worker` (named uniquely, at `worker.address:port`) may be used now. */
  added(worker: WorkerProcess): void;
  /** `worker` is gone. */
  removed(worker: WorkerProcess): void;
}

const replicaName = (fn: string, { address, port }: ReplicaAddress) =>
  `${fn}--${address.replace(/[^a-z0-9]/gi, "-")}-${port}`.toLowerCase();

/**
 * A worker that is no process of ours (a replica elsewhere), as a pool holds
 * one: it ends, for the pool, when `end(code)` is called (stop and kill end
 * it with 0).
 */
export function detachedWorker(
  at: { name: string; transport: Transport; address: string; port: number },
): WorkerProcess & { end(code: number): void } {
  const { promise: exited, resolve } = Promise.withResolvers<number>();
  const listeners = new Set<(code: number) => void>();
  exited.then((code) => listeners.forEach((listener) => listener(code)));
  return {
    ...at,
    pid: 0,
    spawnMs: 0,
    exited,
    onExit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => (resolve(0), exited.then(() => {})),
    kill: () => resolve(0),
    end: resolve,
  };
}

/** A replica as a pool holds a worker: it ends (for the pool) when it is no longer found. */
function replicaWorker(fn: string, transport: Transport, found: ReplicaAddress) {
  return detachedWorker({
    name: replicaName(fn, found),
    transport,
    address: found.address,
    port: found.port,
  });
}

/** The replicas of one function, as a `WorkerPool`. */
export class ReplicaPool implements WorkerPool {
  #fn: string;
  #transport: Transport;
  #source: ReplicaSource;
  #events: ReplicaEvents;
  #slots = new Map<
    string,
    Slot & { worker: ReturnType<typeof replicaWorker>; instance: string | null }
  >();
  /** Replicas set aside after a failure, until this time (performance.now()). */
  #aside = new Map<string, number>();
  #turn = 0;
  #finding: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #closed = false;

  /** The replicas of function `fn`, reached over `transport`, found through `source`. */
  constructor(fn: string, transport: Transport, source: ReplicaSource, events: ReplicaEvents) {
    this.#fn = fn;
    this.#transport = transport;
    this.#source = source;
    this.#events = events;
  }

  /** Replicas in use. */
  get size(): number {
    return this.#slots.size;
  }

  /** None are processes of ours. */
  pids(): number[] {
    return [];
  }

  /** The replicas' names. */
  get workers(): string[] {
    return [...this.#slots.keys()];
  }

  /** An idle replica, else the least busy (ties in turn); 503 when none is ready. */
  async acquire(): Promise<Lease> {
    if (this.#closed) throw new Error("Cannot acquire a replica: the pool is closed");
    // None known: find them now. Known: the background refresh keeps them current.
    if (this.#slots.size === 0) await this.#find();
    this.#keepFinding();
    const slots = [...this.#slots.values()];
    if (slots.length === 0) {
      const reason = `no ready replica of ${this.#fn} was found`;
      throw new FunctionUnavailable(
        new WorkerStartError(this.#fn, "replicas", null, [], reason),
        this.#refreshMs,
      );
    }
    // The least busy; among equals, the next in turn from the last one chosen.
    const start = this.#turn++;
    let slot = slots[start % slots.length];
    for (let i = 1; i < slots.length; i++) {
      const other = slots[(start + i) % slots.length];
      if (other.inflight < slot.inflight) slot = other;
    }
    return leaseSlot(slot, false);
  }

  /** Finds the replicas now. */
  warm(): Promise<void> {
    return this.#find();
  }

  /** A replica that failed a request (stuck, gone): set aside for `retryMs`. */
  retire(slot: Slot): void {
    const entry = this.#slots.get(slot.worker.name);
    if (entry !== slot) return; // gone already, or replaced by a new process at its address
    this.#aside.set(slot.worker.name, performance.now() + (this.#source.retryMs ?? 5000));
    this.#remove(entry);
  }

  /** Forgets every replica. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    for (const slot of [...this.#slots.values()]) this.#remove(slot);
    return Promise.resolve();
  }

  get #refreshMs(): number {
    return this.#source.refreshMs ?? 2000;
  }

  /** Refreshes in the background (not keeping the process alive) once requests come. */
  #keepFinding(): void {
    if (this.#timer !== null || this.#closed) return;
    const timer = setInterval(() => {
      this.#find().catch((error) =>
        console.error(JSON.stringify({
          level: "warn",
          function: this.#fn,
          warning: `cannot find its replicas: ${(error as Error).message}`,
        }))
      );
    }, this.#refreshMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #find(): Promise<void> {
    this.#finding ??= this.#findNow().finally(() => (this.#finding = null));
    return this.#finding;
  }

  async #findNow(): Promise<void> {
    const listed = await this.#source.find(this.#fn);
    const alive = this.#source.alive;
    const found = alive
      ? (await Promise.all(listed.map(async (replica) => {
        const instance = await alive(this.#fn, replica);
        return instance === null ? [] : [{ replica, instance }];
      }))).flat()
      : listed.map((replica) => ({ replica, instance: null }));
    if (this.#closed) return;
    const now = performance.now();
    const names = new Set<string>();
    for (const { replica: address, instance } of found) {
      const name = replicaName(this.#fn, address);
      const aside = this.#aside.get(name);
      if (aside !== undefined && aside > now) continue;
      this.#aside.delete(name);
      names.add(name);
      const known = this.#slots.get(name);
      if (known && known.instance === instance) continue;
      if (known) this.#remove(known); // restarted in place: a new process, new connections
      const worker = replicaWorker(this.#fn, this.#transport, address);
      this.#slots.set(name, { worker, instance, inflight: 0, lastUsed: now, readyAt: now });
      this.#events.added(worker);
    }
    for (const [name, slot] of this.#slots) if (!names.has(name)) this.#remove(slot);
  }

  #remove(slot: Slot & { worker: ReturnType<typeof replicaWorker> }): void {
    if (this.#slots.get(slot.worker.name) !== slot) return;
    this.#slots.delete(slot.worker.name);
    slot.worker.end(0);
    this.#events.removed(slot.worker);
  }
}
