/**
 * The gateway put together: the invoker and its workers, the API app, the
 * public listeners (HTTP/1.1, HTTPS, HTTP/3) and an internal HTTP/3 listener
 * on loopback for functions that call functions. Every new worker gets a
 * session minted for that internal listener, so its first call is 0-RTT.
 *
 * The internal listener admits only workers (mutual TLS): a certificate from
 * the dev CA with the worker role (store/worker_identity.ts issues one per
 * worker), checked at the handshake, or carried by the session a worker
 * resumes. The session minted for each new worker therefore records the
 * worker's own certificate.
 *
 * @module
 */
import { GATEWAY_ENV } from "../chain/mod.ts";
import { ReplayGuard, serveH3 } from "../h3/mod.ts";
import {
  Invoker,
  type InvokerFunction,
  type InvokerOptions,
  type WorkerLogLine,
  type WorkerPlacement,
} from "../invoker/mod.ts";
import { mintSession, quicheEngine, type SocketBuffers, TICKET_KEY_LENGTH } from "../quic/mod.ts";
import { canIssue, type CertifiedKey, issueLeaf, ROLE_EKU, type TrustAnchor } from "../pki/mod.ts";
import { type ZeroRttStore } from "../store/mod.ts";
import { createGatewayApp, type GatewayLimits } from "./app.ts";
import type { SystemAuth } from "./system_auth.ts";
import { type IngressInfo, listen, type ListenOptions } from "./listeners.ts";
import { GatewayTelemetry } from "./telemetry.ts";

/** How long a 0-RTT nonce is remembered: BoringSSL's session lifetime, 2 h. */
const REPLAY_WINDOW_MS = 2 * 60 * 60 * 1000;

/** The answer to a request in early data that may be a replay (RFC 8470 §5.2). */
function tooEarly(): Response {
  return Response.json(
    { error: "too early: resend this request after the handshake (it may be a 0-RTT replay)" },
    { status: 425 },
  );
}

/** `hostname` when it is one concrete IP address other than loopback, for the certificate. */
function listenAddress(hostname: string | undefined): string[] {
  if (!hostname || ["0.0.0.0", "::", "127.0.0.1", "::1", "localhost"].includes(hostname)) return [];
  return /^[\d.]+$|:/.test(hostname) ? [hostname] : [];
}

/** Options of `startGateway`. */
export interface GatewayOptions {
  /** The functions to serve (more can be registered on `invoker`). */
  functions: InvokerFunction[];
  /**
   * The CA for the gateway's and the workers' certificates: its certificate
   * alone for a gateway whose workers run elsewhere (`replicas`), with
   * `certificate` and `identity` given.
   */
  ca: TrustAnchor;
  /** The certificate of the listeners; default issued under `ca` for localhost. */
  certificate?: CertifiedKey;
  /** The certificate the invoker presents to workers; default issued under `ca`. */
  identity?: CertifiedKey;
  /** Workers are replicas found elsewhere, not started here (the invoker's `replicas`). */
  replicas?: InvokerOptions["replicas"];
  /** The 0-RTT store. */
  store: ZeroRttStore;
  /** Public listeners: address and ports (the TLS material is made here). */
  listen?: Omit<ListenOptions, "tls">;
  /**
   * Session ticket key of the public HTTP/3 listener (48 bytes). Give a kept
   * one (`devTicketKey()`) so that clients' sessions survive a restart and
   * their first request after it is still 0-RTT; default random per start.
   * The internal listener always uses a random key of its own.
   */
  ticketKey?: Uint8Array;
  /** Request limits. */
  limits?: GatewayLimits;
  /** Credentials `/system/*` and `/metrics` require (an exposed gateway); absent, they are open. */
  systemAuth?: SystemAuth;
  /** Receives workers' output line by line; default: passed through to stderr. */
  onWorkerLog?: (line: WorkerLogLine) => void;
  /**
   * Run workers on another host (a network namespace). The internal listener
   * then binds `listen.hostname`, which must be an address workers can reach.
   */
  placement?: WorkerPlacement;
  /** Stem cells kept per class of functions (the invoker's `stemCells`); default none. */
  stemCells?: number;
  /**
   * Where the internal listener binds when its workers run elsewhere (a
   * cluster's replicas reach it through the gateway's Service); default
   * loopback (or `listen.hostname` with `placement`), any port.
   */
  internalListen?: { hostname: string; port: number };
}

/** A running gateway. */
export interface Gateway {
  /** The invoker behind it (register, replace and warm functions here). */
  readonly invoker: Invoker;
  /** Its metrics. */
  readonly telemetry: GatewayTelemetry;
  /** Base URL of the HTTP/1.1 listener, if on. */
  readonly http: string | null;
  /** Base URL of the HTTPS listener (HTTP/3 on the same port, UDP), if on. */
  readonly https: string | null;
  /** Port of the public HTTP/3 listener, if on. */
  readonly h3Port: number | null;
  /** The certificate of the public listeners (PEM), for clients that pin it. */
  readonly certificate: string;
  /** The internal HTTP/3 origin functions call (given to workers as QFAAS_GATEWAY_URL). */
  readonly internalUrl: string;
  /** The kernel buffers its UDP sockets got (every QUIC socket asks the same), or null. */
  readonly socketBuffers: SocketBuffers | null;
  /** Stops listening, drains requests, stops every worker. */
  shutdown(): Promise<void>;
}

/** Starts a gateway; resolves once every listener accepts. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { ca, store } = options;
  let leaf = options.certificate;
  if (!leaf) {
    if (!canIssue(ca)) {
      throw new TypeError(
        "Cannot start the gateway: no certificate given, and no CA key to issue one",
      );
    }
    leaf = await issueLeaf(ca, {
      commonName: "localhost",
      dnsNames: ["localhost"],
      // And the address it listens on, for clients on other hosts (a bench's namespaces).
      ipAddresses: ["127.0.0.1", "::1", ...listenAddress(options.listen?.hostname)],
    });
  }
  const internalTls = {
    ...leaf,
    ticketKey: crypto.getRandomValues(new Uint8Array(TICKET_KEY_LENGTH)),
    // Workers only: BoringSSL verifies the chain, the listener the worker role.
    clientAuth: { ca: ca.cert, extKeyUsage: ROLE_EKU.worker },
  };
  const internalHost = options.internalListen?.hostname ??
    (options.placement ? options.listen?.hostname : "127.0.0.1");
  if (
    !options.internalListen &&
    (!internalHost || internalHost === "0.0.0.0" || internalHost === "::")
  ) {
    throw new TypeError(
      "Cannot place workers elsewhere: listen.hostname must be this host's address as workers see it",
    );
  }
  const internal = await quicheEngine.listen({
    hostname: internalHost!,
    port: options.internalListen?.port ?? 0,
    tls: internalTls,
    alpn: ["h3"],
    validateAddress: false, // workers only (and authenticated): loopback, or private links
  });
  const internalUrl = `https://localhost:${internal.addr.port}`;
  const invoker: Invoker = new Invoker({
    ca,
    identity: options.identity,
    replicas: options.replicas,
    store,
    onWorkerLog: options.onWorkerLog,
    placement: options.placement,
    stemCells: options.stemCells,
    workerEnv: () => ({
      [GATEWAY_ENV.url]: internalUrl,
      gateway_url: internalUrl, // the OpenFaaS name for it
      ...(options.placement ? { [GATEWAY_ENV.address]: internalHost } : {}),
    }),
    gateway: {
      url: internalUrl,
      // A session for the worker's first call, recording its certificate (see the module doc).
      session: (worker: CertifiedKey) =>
        mintSession({
          server: internalTls,
          ca: ca.cert,
          serverName: "localhost",
          alpn: ["h3"],
          identity: { cert: worker.cert, key: worker.key },
        }),
    },
  });
  const telemetry = new GatewayTelemetry(
    () => invoker.workerCounts(),
    () => invoker.freeStemCells,
  );
  for (const fn of options.functions) invoker.register(fn);
  const app = createGatewayApp({
    invoker,
    telemetry,
    limits: options.limits,
    systemAuth: options.systemAuth,
  });
  // 0-RTT data can be replayed by anyone on the path: a request in early data runs only
  // if it is idempotent or carries a nonce never seen before (both listeners, one memory).
  const replay = new ReplayGuard({ windowMs: REPLAY_WINDOW_MS });
  const serve = (request: Request, info: IngressInfo) => {
    telemetry.recordIngress(info);
    if (!replay.admit(request, info.earlyData)) {
      telemetry.recordTooEarly(info.protocol);
      return tooEarly();
    }
    return app.fetch(request);
  };
  const internalServer = serveH3(internal, (request, info) => {
    telemetry.recordInternal(info.streamId === 0, info.earlyData);
    return serve(request, { protocol: "internal", earlyData: info.earlyData });
  }, { maxBodySize: Infinity }); // the app applies each function's own max_body
  let listeners;
  try {
    listeners = await listen(serve, {
      ...options.listen,
      tls: { cert: leaf.cert, key: leaf.key, ticketKey: options.ticketKey },
    });
  } catch (error) {
    await internalServer.shutdown();
    await invoker.close();
    throw error;
  }
  return {
    invoker,
    telemetry,
    http: listeners.http,
    https: listeners.https,
    h3Port: listeners.h3Port,
    certificate: leaf.cert,
    internalUrl,
    socketBuffers: internal.socketBuffers,
    async shutdown() {
      await listeners.shutdown();
      await Promise.all([internalServer.shutdown(), invoker.close()]);
    },
  };
}
