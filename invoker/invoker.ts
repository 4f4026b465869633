/**
 * The invoker: routes a request for a function to a warm (or newly spawned)
 * worker over the function's transport — HTTP/3 with pre-seeded 0-RTT by
 * default — and reports how it went in response headers: `server-timing`
 * (spawn, connect, and the worker's function, total), `x-qfaas-worker`,
 * `x-qfaas-transport`, `x-qfaas-0rtt` and `x-qfaas-cold-start`.
 *
 * Workers admit only the invoker (mutual TLS): over h3 and tls it presents
 * its own certificate (`invokerIdentity`, role "invoker"), and the sessions
 * minted for new workers carry that same certificate, so a cold worker's
 * first request is still 0-RTT.
 *
 * @module
 */
import { DEFAULTS } from "../config/mod.ts";
import { type EarlyDataPolicy, type FieldLine, H3Client, type SessionStore } from "../h3/mod.ts";
import { canIssue, type CertifiedKey, invokerIdentity, type TrustAnchor } from "../pki/mod.ts";
import type { ZeroRttStore } from "../store/mod.ts";
import { FunctionNotFound, FunctionUnavailable } from "./errors.ts";
import { answerOfResponse, HttpsClient, type WorkerAnswer } from "./https_client.ts";
import { type Invocation, invocationOf } from "./invocation.ts";
import { FunctionPool, type Lease, type StartFailure, type WorkerPool } from "./pool.ts";
import { type ReplicaAddress, ReplicaPool, type ReplicaSource } from "./replica_pool.ts";
import { StemPool } from "./stem_pool.ts";
import {
  type FunctionSpec,
  type GatewayLinkSource,
  type SpawnOptions,
  spawnStem,
  spawnWorker,
  stemClassOf,
  type WorkerLogLine,
  type WorkerPlacement,
  type WorkerProcess,
} from "./worker_process.ts";

/**
 * How long after a stem cell is taken its replacement starts: started at once,
 * it competed with the taken cell's first request for the CPU (2 cores: a
 * first request took 28-33 ms median, 15 ms with the delay;
 * docs/results/stem-cells.md).
 */
const STEM_REFILL_DELAY_MS = 150;

/** A function as the invoker runs it: its definition (pool sizes, transport, 0-RTT policy included). */
export type InvokerFunction = FunctionSpec;

/** Options of an `Invoker`. */
export interface InvokerOptions {
  /**
   * The CA that signs worker certificates; its certificate alone where
   * workers are not started here (`replicas`), with `identity` given.
   */
  ca: TrustAnchor;
  /** The certificate the invoker presents to workers; default: issued under `ca`. */
  identity?: CertifiedKey;
  /**
   * Workers run elsewhere (a function's replicas on a cluster): found, not
   * started, and all offered the function's minted session (replica_pool.ts).
   */
  replicas?: ReplicaSource & {
    /** The name every replica of `fn`'s certificate covers. */
    serverName(fn: string): string;
    /** The session minted for `fn`'s shared identity. */
    session(fn: string): Uint8Array;
  };
  /** The 0-RTT store: minted sessions, then the newest ticket per worker. */
  store: ZeroRttStore;
  /** Extra environment for each new worker (e.g. how to reach the gateway), made per spawn. */
  workerEnv?: () => Record<string, string>;
  /** Receives workers' output line by line; default: passed through to stderr. */
  onWorkerLog?: (line: WorkerLogLine) => void;
  /** Run workers on another host (a network namespace); default on loopback here. */
  placement?: WorkerPlacement;
  /**
   * The gateway's internal listener: each new worker gets its origin and a
   * session minted for it on its stdin, with its other secrets.
   */
  gateway?: GatewayLinkSource;
  /**
   * Stem cells kept loaded per class of registered functions (stem_pool.ts):
   * a new worker then costs loading its function, not starting a process.
   * Default 0: every worker is a process started for its function.
   */
  stemCells?: number;
  /**
   * Stem cells kept across all classes at most: each class of functions
   * (memory, grant, an upstream's directory) has its own cells, and each idle
   * one costs ~26 MiB PSS (docs/results/stem-cells.md). Default 4 × `stemCells`.
   */
  maxStemCells?: number;
}

/** How long a new connection to a replica elsewhere may take to complete its handshake. */
export const REPLICA_HANDSHAKE_TIMEOUT_MS = 2000;

/** Told when a function's worker fails to start (`failure` null: it started again after failing). */
export type StartFailureListener = (name: string, failure: StartFailure | null) => void;

const timing = (name: string, ms: number) => `${name};dur=${ms.toFixed(2)}`;

/**
 * Responses up to this size that declare their length are read whole before
 * they are answered: a fixed-length body is ~0.3 ms cheaper for Deno.serve to
 * send than a stream relayed from HTTP/3 (measured), and the worker has it all.
 */
const BUFFER_MAX_BYTES = 64 * 1024;

/** A worker's answer, as parts, and how it travelled. */
interface Forwarded {
  status: number;
  statusText?: string;
  /** Its header fields; the invoker adds its own before making the response. */
  fields: FieldLine[];
  /** Whole (read already), streaming, or none. */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  zeroRtt: "accepted" | "rejected" | "none";
  /** Resolves when the response is over: a whole body at once, a stream once read or cancelled. */
  done: Promise<void>;
  /** Time to get a stream to the worker (HTTP/3 only). */
  connectMs?: number;
}

const OVER = Promise.resolve();

/**
 * An HTTP/1.1 worker's answer as the invoker passes it on: read whole when
 * its connection serves only this request (it closes after) or it is small,
 * else streamed, the lease held until it is read.
 */
async function settle(answer: WorkerAnswer, perRequest: boolean): Promise<Forwarded> {
  const head = {
    status: answer.status,
    statusText: answer.statusText,
    fields: answer.fields,
    zeroRtt: "none" as const,
  };
  if (!answer.hasBody) return { ...head, body: null, done: OVER };
  if (perRequest || declaresSmall(answer.contentLength)) {
    return { ...head, body: await answer.bytes(), done: OVER };
  }
  // Streamed: the lease is held until the body is read to its end (or cancelled).
  const over = Promise.withResolvers<void>();
  const body = answer.stream().pipeThrough(
    new TransformStream({ flush: () => over.resolve(), cancel: () => over.resolve() }),
  );
  return { ...head, body, done: over.promise };
}

/** The response fields the invoker sets, replacing a worker's. */
const INVOKER_FIELDS = new Set([
  "x-qfaas-worker",
  "x-qfaas-transport",
  "x-qfaas-0rtt",
  "x-qfaas-cold-start",
]);

/** Is a body of this declared length (null: not declared) read whole before it is answered? */
function declaresSmall(contentLength: number | null): boolean {
  return contentLength !== null && contentLength <= BUFFER_MAX_BYTES;
}

function problem(status: number, error: string, context: Record<string, string>): Response {
  return new Response(JSON.stringify({ error, ...context }) + "\n", {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Invokes functions on pools of worker processes. */
export class Invoker {
  #options: InvokerOptions;
  #functions = new Map<string, InvokerFunction>();
  #pools = new Map<string, WorkerPool>();
  /** Replicas found elsewhere (`replicas`), by worker name: where to dial, and the TLS name. */
  #remote = new Map<string, ReplicaAddress & { serverName: string }>();
  #h3 = new Map<string, H3Client>();
  /** The invoker's client certificate and key, once issued (`#ready()`). */
  #identity: CertifiedKey | null = null;
  /** The HTTPS clients of tls workers: a connection per request, and kept connections. */
  #https: [HttpsClient?, HttpsClient?] = [];
  /** The kept-connection client of tls12 workers. */
  #tls12: Deno.HttpClient | null = null;
  #http: Deno.HttpClient;
  #startFailureListeners = new Set<StartFailureListener>();
  #stems: StemPool | null = null;
  /** A `#keepStems` run, while one runs; `#keepAgain` asks for another after it. */
  #keeping: Promise<void> | null = null;
  #keepAgain = false;

  /** Creates an invoker; functions are added with `register`. */
  constructor(options: InvokerOptions) {
    this.#options = options;
    this.#http = Deno.createHttpClient({});
    if ((options.stemCells ?? 0) > 0) {
      this.#stems = new StemPool({
        size: options.stemCells!,
        maxTotal: options.maxStemCells ?? 4 * options.stemCells!,
        refillDelayMs: STEM_REFILL_DELAY_MS,
        spawn: (stemClass) => spawnStem(stemClass, options.ca, options.store, this.#spawnOptions()),
        onError: (error) => this.#stemError(error),
      });
    }
  }

  /** Adds a function, or replaces it: see `replace` for a running one. */
  register(fn: InvokerFunction): void {
    this.#functions.set(fn.name, fn);
    this.#keepStems();
  }

  /**
   * Stem cells for the classes of the functions registered now, and none for
   * classes no function has any more (a function removed, or its memory or
   * grant changed): run after every change, coalesced while one runs.
   */
  #keepStems(): void {
    if (!this.#stems) return;
    if (this.#keeping) {
      this.#keepAgain = true;
      return;
    }
    this.#keeping = this.#keepStemsNow(this.#stems).catch((error) => this.#stemError(error))
      .finally(() => {
        this.#keeping = null;
        if (this.#keepAgain) {
          this.#keepAgain = false;
          this.#keepStems();
        }
      });
  }

  async #keepStemsNow(stems: StemPool): Promise<void> {
    const eligible = [...this.#functions.values()].filter((fn) =>
      !fn.unavailable && !fn.freshProcess
    );
    const settled = await Promise.allSettled(eligible.map(stemClassOf));
    if (this.#keepAgain) return; // the functions changed meanwhile: the next run decides
    const classes = settled.flatMap((result) => {
      if (result.status === "fulfilled") return [result.value];
      this.#stemError(result.reason); // that function's workers start fresh, and say why
      return [];
    });
    await stems.retain(new Set(classes.map((stemClass) => stemClass.key)));
    for (const stemClass of classes) stems.keep(stemClass);
  }

  /** A stem cell could not start: said on the workers' log (fresh workers still start). */
  #stemError(error: unknown): void {
    const text = `! stem cell: ${(error as Error).message}`;
    const line = { function: "", worker: "stem", stream: "stderr" as const, text };
    if (this.#options.onWorkerLog) this.#options.onWorkerLog(line);
    else console.error(text);
  }

  #spawnOptions(): SpawnOptions {
    return {
      env: this.#options.workerEnv?.(),
      onLog: this.#options.onWorkerLog,
      placement: this.#options.placement,
      gateway: this.#options.gateway,
    };
  }

  /**
   * A new worker for `fn`: a stem cell of its class specialized, else (none
   * free, or `fn.freshProcess`) a process started for it. The class is read
   * afresh (its grant lists the functions directory's `.env` files as they are
   * now): cells of an older class are not taken, and the current one is kept.
   */
  async #startWorker(fn: InvokerFunction): Promise<WorkerProcess> {
    const stemClass = await stemClassOf(fn);
    if (this.#stems && !fn.freshProcess && !fn.unavailable) {
      this.#stems.keep(stemClass);
      const stem = this.#stems.take(stemClass);
      if (stem) return await stem.specialize(fn);
    }
    return await spawnWorker(fn, this.#options.ca, this.#options.store, {
      ...this.#spawnOptions(),
      stemClass,
    });
  }

  /** Free stem cells (all classes). */
  get freeStemCells(): number {
    return this.#stems?.free() ?? 0;
  }

  /** Process ids of the free stem cells (for memory figures). */
  stemCellPids(): number[] {
    return this.#stems?.pids() ?? [];
  }

  /**
   * Replaces a function (hot reload): new requests go to workers of the new
   * definition at once, while the old workers drain their in-flight requests
   * and stop. Resolves when the old workers have stopped.
   */
  async replace(fn: InvokerFunction): Promise<void> {
    const old = this.#pools.get(fn.name);
    this.#pools.delete(fn.name);
    this.#functions.set(fn.name, fn);
    this.#keepStems();
    await old?.close();
  }

  /** Removes a function; its workers drain and stop. */
  async unregister(name: string): Promise<void> {
    const old = this.#pools.get(name);
    this.#pools.delete(name);
    this.#functions.delete(name);
    this.#keepStems();
    await old?.close();
  }

  /** The function registered as `name`, if any. */
  function(name: string): InvokerFunction | undefined {
    return this.#functions.get(name);
  }

  /** The registered functions, by name. */
  functions(): InvokerFunction[] {
    return [...this.#functions.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Live workers per function. */
  *workerCounts(): Iterable<[name: string, count: number]> {
    for (const name of this.#functions.keys()) yield [name, this.#pools.get(name)?.size ?? 0];
  }

  /**
   * Calls `listener` whenever a function's worker fails to start, and when it
   * starts again after failing; returns a function that removes it.
   */
  onStartFailure(listener: StartFailureListener): () => void {
    this.#startFailureListeners.add(listener);
    return () => this.#startFailureListeners.delete(listener);
  }

  /** Starts the function's `min` workers (or `count`) now, so that its first requests are warm. */
  warm(name: string, count?: number): Promise<void> {
    return this.pool(name).warm(count);
  }

  /** The function's pool (made on first use). */
  pool(name: string): WorkerPool {
    let pool = this.#pools.get(name);
    if (!pool) {
      const fn = this.#functions.get(name);
      if (!fn) throw new FunctionNotFound(name);
      const replicas = this.#options.replicas;
      pool = replicas
        ? new ReplicaPool(name, fn.transport ?? "h3", replicas, {
          added: (worker) => {
            this.#remote.set(worker.name, {
              address: worker.address,
              port: worker.port,
              serverName: replicas.serverName(name),
            });
            this.#options.store.set(worker.name, replicas.session(name));
          },
          removed: (worker) => {
            this.#remote.delete(worker.name);
            this.#options.store.delete(worker.name);
            // Its connections are dead or about to be: a replica found again gets new ones.
            const origin = `https://${worker.name}:${worker.port}`;
            for (const client of this.#h3.values()) client.forget(origin);
          },
        })
        : new FunctionPool(
          () => this.#startWorker(fn),
          {
            ...fn,
            onStartFailure: (failure) => {
              for (const listener of this.#startFailureListeners) listener(name, failure);
            },
          },
        );
      this.#pools.set(name, pool);
    }
    return pool;
  }

  /**
   * Runs `request` on function `name` (an `Invocation`: the gateway's parts
   * of one, with no `Request` made). Throws `FunctionNotFound` for an unknown
   * name. A response that declares at most 64 KiB comes whole, not streamed.
   */
  async invoke(name: string, input: Request | Invocation): Promise<Response> {
    const request = input instanceof Request ? invocationOf(input) : input;
    const first = await this.#invokeOnce(name, request);
    // A replica elsewhere that vanished mid-request (a pod killed): a request that is
    // safe to repeat (idempotent, no body) goes once more, to another replica.
    if (
      first.lost && this.#options.replicas && request.body === null &&
      ["GET", "HEAD", "OPTIONS"].includes(request.method)
    ) {
      return (await this.#invokeOnce(name, request)).response;
    }
    return first.response;
  }

  /** One attempt; `lost`: the worker was lost during it (stuck, gone, or its connection failed). */
  async #invokeOnce(
    name: string,
    request: Invocation,
  ): Promise<{ response: Response; lost: boolean }> {
    const lost = (response: Response) => ({ response, lost: true });
    const answered = (response: Response) => ({ response, lost: false });
    const fn = this.#functions.get(name);
    if (!fn) throw new FunctionNotFound(name);
    if (fn.unavailable) return answered(problem(503, fn.unavailable, { function: name }));
    const started = performance.now();
    let lease: Lease;
    try {
      lease = await this.pool(name).acquire();
    } catch (error) {
      if (!(error instanceof FunctionUnavailable)) throw error;
      const response = problem(503, error.message, {
        function: name,
        ...(error.cause.firstLine ? { reason: error.cause.firstLine } : {}),
      });
      response.headers.set("retry-after", String(Math.ceil(error.retryInMs / 1000)));
      return answered(response);
    }
    const worker = lease.slot.worker;
    const spawned = performance.now();
    const timeoutMs = (fn.execTimeoutMs ?? DEFAULTS.execTimeoutMs) + 2000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unwatch = () => {};
    try {
      // Stuck, or dead: a worker that dies mid-request sends no CONNECTION_CLOSE.
      const stopped = new Promise<"timeout" | { died: number }>((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
        unwatch = worker.onExit((code) => resolve({ died: code }));
      });
      const outcome = await Promise.race([this.#forward(fn, lease, request), stopped]);
      if (outcome === "timeout" || "died" in outcome) {
        // Stuck (it did not even answer 504 itself) or gone: take it out of the pool for good.
        lease.release();
        this.pool(name).retire(lease.slot);
        return lost(
          outcome === "timeout"
            ? problem(504, `function ${name} did not answer within ${timeoutMs} ms`, {
              function: name,
              worker: worker.name,
            })
            : problem(
              502,
              `function ${name}'s worker exited (code ${outcome.died}) during the request`,
              {
                function: name,
                worker: worker.name,
              },
            ),
        );
      }
      const { zeroRtt, connectMs } = outcome;
      outcome.done.then(() => lease.release());
      // Ours replace any the worker sent (server-timing adds to the worker's own).
      const fields = outcome.fields.filter(([field]) => !INVOKER_FIELDS.has(field));
      fields.push(
        ["x-qfaas-worker", worker.name],
        ["x-qfaas-transport", worker.transport],
        ["x-qfaas-0rtt", zeroRtt],
      );
      if (lease.cold) {
        fields.push(["x-qfaas-cold-start", "1"], [
          "server-timing",
          timing("spawn", spawned - started),
        ]);
      }
      if (connectMs !== undefined) fields.push(["server-timing", timing("connect", connectMs)]);
      fields.push(["server-timing", timing("total", performance.now() - started)]);
      return answered(
        new Response(outcome.body as BodyInit | null, {
          status: outcome.status,
          statusText: outcome.statusText,
          headers: fields,
        }),
      );
    } catch (error) {
      lease.release();
      // A replica elsewhere that fails a request (unreachable, reset) is set aside; a
      // worker of ours is watched by its process instead.
      if (this.#options.replicas) this.pool(name).retire(lease.slot);
      return lost(problem(
        502,
        `function ${name} failed: ${error instanceof Error ? error.message : error}`,
        {
          function: name,
          worker: worker.name,
        },
      ));
    } finally {
      clearTimeout(timer);
      unwatch();
    }
  }

  /** Stops every worker and closes every client. */
  async close(): Promise<void> {
    await Promise.all([
      ...[...this.#pools.values()].map((pool) => pool.close()),
      this.#stems?.close(),
    ]);
    await Promise.all([...this.#h3.values()].map((client) => client.close()));
    for (const client of this.#https) client?.close();
    this.#tls12?.close();
    this.#http.close();
  }

  async #forward(
    fn: InvokerFunction,
    lease: Lease,
    request: Invocation,
  ): Promise<Forwarded> {
    const worker = lease.slot.worker;
    const path = request.target;
    const identity = this.#identity ?? await this.#ready();
    // TLS 1.3 through node:https with Nagle off (https_client.ts says why); TLS 1.2 through
    // fetch, whose TLS 1.2 handshake loses no round trip and costs less CPU (0.3–1 ms less per new
    // connection here, docs/results/tls-round-trips.md): the worker speaks only 1.2, so fetch's
    // offer of 1.3 too is never taken.
    if (worker.transport === "tls") {
      return await this.#forwardHttps(fn, worker, request, identity);
    }
    if (worker.transport === "tcp" || worker.transport === "tls12") {
      const tls = worker.transport === "tls12";
      const loopback = worker.address === "127.0.0.1";
      const base = tls
        ? `https://${loopback ? "localhost" : worker.address}:${worker.port}`
        : `http://${worker.address}:${worker.port}`;
      const options = tls
        ? { caCerts: [this.#options.ca.cert], cert: identity.cert, key: identity.key }
        : {};
      const client = fn.connection === "new"
        ? Deno.createHttpClient(options)
        : tls
        ? this.#tls12 ??= Deno.createHttpClient(options)
        : this.#http;
      try {
        const init = {
          method: request.method,
          headers: request.fields,
          body: request.body,
          client,
          duplex: "half",
        };
        const response = await fetch(
          `${base}${path}`,
          init as RequestInit & { client: Deno.HttpClient },
        );
        return await settle(answerOfResponse(response), fn.connection === "new");
      } finally {
        if (fn.connection === "new") client.close();
      }
    }
    const policy = fn.earlyData ?? "all";
    const client = this.#client(policy, fn.connection === "new", identity);
    // The client gives a request sent in 0-RTT a single-use nonce the worker checks.
    const reply = await client.send({
      origin: `https://${worker.name}:${worker.port}`,
      method: request.method,
      target: path,
      fields: request.fields,
      body: request.body,
    });
    const zeroRtt = !reply.earlyData ? "none" : reply.earlyDataAccepted ? "accepted" : "rejected";
    return {
      status: reply.status,
      fields: reply.fields,
      body: declaresSmall(reply.contentLength) ? await reply.bytes() : reply.body(),
      zeroRtt,
      done: reply.done,
      connectMs: reply.connectMs,
    };
  }

  /**
   * HTTPS to a tls worker (https_client.ts: Nagle off), a new connection per
   * request or a kept one, as the function says.
   */
  async #forwardHttps(
    fn: InvokerFunction,
    worker: Lease["slot"]["worker"],
    request: Invocation,
    identity: CertifiedKey,
  ): Promise<Forwarded> {
    const keepAlive = fn.connection !== "new";
    // Made once each (a client parses its certificates once): kept connections, and new ones.
    const client = this.#https[keepAlive ? 1 : 0] ??= new HttpsClient({
      ca: this.#options.ca.cert,
      cert: identity.cert,
      key: identity.key,
      maxVersion: "TLSv1.3",
      keepAlive,
    });
    const loopback = worker.address === "127.0.0.1";
    const answer = await client.send(
      {
        host: worker.address,
        port: worker.port,
        servername: loopback ? "localhost" : worker.address,
      },
      request,
    );
    return await settle(answer, !keepAlive);
  }

  /** The certificate the invoker presents to workers: given, or issued (once) under the CA. */
  async #ready(): Promise<CertifiedKey> {
    const ca = this.#options.ca;
    if (this.#options.identity) return this.#identity = this.#options.identity;
    if (!canIssue(ca)) {
      throw new TypeError("Cannot call workers: no invoker identity, and no CA key to issue one");
    }
    return this.#identity = await invokerIdentity(ca);
  }

  /**
   * An HTTP/3 client whose sessions are the 0-RTT store's, keyed by worker;
   * `perRequest` ones open a connection per request (on one shared socket).
   * It presents the invoker's certificate on a full handshake; a resumed
   * session (the minted one included) already carries it.
   */
  #client(policy: EarlyDataPolicy, perRequest: boolean, identity: CertifiedKey): H3Client {
    const key = `${policy}:${perRequest}`;
    const existing = this.#h3.get(key);
    if (existing) return existing;
    const store = this.#options.store;
    const sessions: SessionStore = {
      get: (origin) => {
        const session = store.get(new URL(origin).hostname);
        return session?.byteLength ? session : undefined; // empty: alive, not pre-seeded
      },
      set: (origin, session) => {
        const worker = new URL(origin).hostname;
        // A live worker has an entry (its minted session, from spawn until exit): a
        // late ticket from a worker that has gone must not resurrect a dropped one.
        if (store.get(worker) !== undefined) store.set(worker, session);
      },
    };
    const client = new H3Client({
      ca: this.#options.ca.cert,
      identity,
      earlyData: policy,
      sessions,
      pool: !perRequest,
      // Replicas elsewhere share one identity: nonces name the replica dialed (replay_guard.ts).
      bindNonces: this.#options.replicas !== undefined,
      // A replica elsewhere may be gone without a word (a killed pod): fail fast, not in 30 s.
      handshakeTimeoutMs: this.#options.replicas ? REPLICA_HANDSHAKE_TIMEOUT_MS : undefined,
      resolve: (url) => {
        const remote = this.#remote.get(url.hostname);
        if (remote) {
          return { hostname: remote.address, port: remote.port, serverName: remote.serverName };
        }
        return {
          hostname: this.#options.placement?.address ?? "127.0.0.1",
          port: Number(url.port),
          serverName: url.hostname,
        };
      },
    });
    this.#h3.set(key, client);
    return client;
  }
}
