/**
 * Credentials for the gateway's admin API, OpenFaaS-style: when the gateway
 * listens beyond loopback, `/system/*` and `/metrics` want HTTP basic auth
 * (user `admin`, OpenFaaS's `basic-auth-user`) or the same password as a
 * bearer token (`Authorization: Bearer <password>`). Function routes and
 * `/healthz` stay open, as in OpenFaaS.
 *
 * The password is random per `qfaas dev` run and lives only in that process
 * (and in what it printed): nothing is written to disk, so a restart is a
 * rotation and there is no stale secret to clean up.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** The basic-auth user name, as OpenFaaS's `basic-auth-user`. */
export const SYSTEM_AUTH_USER = "admin";

/** The realm of the `WWW-Authenticate` challenge. */
export const SYSTEM_AUTH_REALM = "qfaas";

/** The environment variable clients (`qfaas list`) read the password from. */
export const SYSTEM_PASSWORD_ENV = "QFAAS_PASSWORD";

/** Random bytes in a generated password (43 base64url characters). */
const PASSWORD_BYTES = 32;

/** Credentials that guard `/system/*` and `/metrics`. */
export interface SystemAuth {
  /** The basic-auth user name (`admin`). */
  readonly user: string;
  /** The password; also accepted on its own as a bearer token. */
  readonly password: string;
}

/** Why a request to the admin API was refused. */
export type SystemAuthFailure = "missing" | "malformed" | "wrong";

/**
 * New credentials: user `admin` and a random password (32 bytes, base64url).
 *
 * @example
 * ```ts
 * const auth = generateSystemAuth();
 * const app = createGatewayApp({ invoker, telemetry, systemAuth: auth });
 * ```
 */
export function generateSystemAuth(): SystemAuth {
  const bytes = crypto.getRandomValues(new Uint8Array(PASSWORD_BYTES));
  return {
    user: SYSTEM_AUTH_USER,
    password: bytes.toBase64({ alphabet: "base64url", omitPadding: true }),
  };
}

/**
 * Whether `hostname` (as given to `--host`) binds loopback only: `localhost`,
 * 127.0.0.0/8 or `::1`. Anything else, the any-addresses `0.0.0.0` and `::`
 * and names other than `localhost` included, counts as exposed.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4[1] === "127" && v4.slice(2).every((part) => Number(part) <= 255);
}

const encoder = new TextEncoder();

/**
 * Compares `given` with `expected` in time that depends only on the length of
 * `expected` (public: every generated password has the same length), never
 * on where the two first differ.
 */
export function timingSafeEqual(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= b[i] ^ (i < a.length ? a[i] : 0);
  return difference === 0;
}

/**
 * Checks an `Authorization` field value against `auth`: basic (user and
 * password, both compared in constant time) or bearer (the password).
 * Returns null when it is accepted, else why not.
 */
export function checkAuthorization(
  header: string | null,
  auth: SystemAuth,
): SystemAuthFailure | null {
  if (header === null || header.trim() === "") return "missing";
  // RFC 9110 §11.4: the scheme is case-insensitive; token68 credentials follow.
  const parts = /^([A-Za-z]+) +([A-Za-z0-9\-._~+/]+=*) *$/.exec(header);
  if (!parts) return "malformed";
  const [, scheme, credentials] = parts;
  switch (scheme.toLowerCase()) {
    case "bearer":
      return timingSafeEqual(credentials, auth.password) ? null : "wrong";
    case "basic": {
      let decoded: string;
      try {
        decoded = new TextDecoder("utf-8", { fatal: true }).decode(
          Uint8Array.fromBase64(credentials),
        );
      } catch {
        return "malformed";
      }
      const colon = decoded.indexOf(":");
      if (colon < 0) return "malformed";
      // Both compared, always: which one was wrong must not show in the time taken.
      const user = timingSafeEqual(decoded.slice(0, colon), auth.user);
      const password = timingSafeEqual(decoded.slice(colon + 1), auth.password);
      return user && password ? null : "wrong";
    }
    default:
      return "malformed";
  }
}

const EXPLANATION: Record<SystemAuthFailure, string> = {
  missing: `authentication required: use basic auth (user ${SYSTEM_AUTH_USER}) or ` +
    "Authorization: Bearer, with the password qfaas dev printed",
  malformed: "malformed Authorization header: use Basic (base64 of user:password) or Bearer",
  wrong: "wrong credentials (qfaas dev makes a new password each time it starts)",
};

/**
 * Hono middleware that lets a request through only with `auth`'s credentials;
 * otherwise 401 with `WWW-Authenticate: Basic realm="qfaas"` and a JSON error
 * body. The body never echoes what the client sent, and nothing is logged.
 *
 * @example
 * ```ts
 * const guard = systemAuthMiddleware(generateSystemAuth());
 * app.use("/system/*", guard);
 * app.use("/metrics", guard);
 * ```
 */
export function systemAuthMiddleware(auth: SystemAuth): MiddlewareHandler {
  if (auth.password === "" || auth.user === "" || auth.user.includes(":")) {
    throw new RangeError(
      `Cannot guard the admin API: received user "${auth.user}" ` +
        `and a password of ${auth.password.length} characters (want a user without ":" and a password)`,
    );
  }
  return async (c, next) => {
    const failure = checkAuthorization(c.req.header("authorization") ?? null, auth);
    if (failure !== null) {
      return c.json({ error: EXPLANATION[failure] }, 401, {
        "www-authenticate": `Basic realm="${SYSTEM_AUTH_REALM}"`,
      });
    }
    await next();
  };
}
