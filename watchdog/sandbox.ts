/**
 * The bubblewrap (`bwrap`) sandbox an http-mode upstream (Python, Node, any
 * language) runs in. Deno's permissions contain a Deno function; an
 * interpreter we start gets none of them, so it runs in a mount namespace
 * that shows it only what it needs:
 *
 * - read-only: the system runtime (/usr and the /bin, /lib, /lib64 links
 *   into it), a few named files in /etc (`SYSTEM_FILES`), and its own
 *   directory;
 * - read-write: its `allow_write` paths, and a private /tmp (tmpfs);
 * - its own /proc (a new PID namespace: it sees only its own processes) and
 *   a minimal /dev (null, zero, random, urandom, tty, pts, shm);
 * - nothing else: no home directory, no qfaas cache (the dev CA key), no
 *   other function's files. Where a bound path contains the home directory,
 *   an empty read-only directory hides it; the qfaas cache, the functions
 *   directory's `.secrets/` and other functions' `.env` files are hidden
 *   even inside a path bound on purpose;
 * - its own PID, IPC and UTS namespaces, a new session (no terminal to
 *   inject into), no capabilities (bwrap keeps all of root's unless told),
 *   a read-only root, and it dies with its parent. The network namespace is
 *   shared: it listens on loopback for the watchdog.
 *
 * `sandboxArgv` is a pure function of a `SandboxPlan`; `planSandbox` looks
 * at the disk to make one; `sandboxSupport` probes once whether bwrap can
 * create namespaces here (in containers it often cannot).
 *
 * @module
 */
import { join, resolve } from "node:path";

/** The sandbox could not be set up: a bad plan, or bwrap required where it cannot run. */
export class SandboxError extends Error {
  /** The upstream command the sandbox was for, if any. */
  readonly command: string | null;

  /** `message` says what failed; `command` names the upstream. */
  constructor(message: string, options: { command?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "SandboxError";
    this.command = options.command ?? null;
  }
}

/**
 * The system runtime an interpreter needs, bound read-only: /usr holds the
 * interpreters and their libraries; /bin, /lib and /lib64 are links into it
 * on merged-/usr systems and real directories elsewhere (bound if present).
 */
export const SYSTEM_DIRS: readonly string[] = ["/usr", "/bin", "/lib", "/lib64"];

/**
 * The files and directories of /etc an interpreter reads, bound read-only if
 * present. Not /etc itself: it holds /etc/shadow, /etc/ssl/private and
 * whatever else the machine keeps there.
 */
export const SYSTEM_FILES: readonly string[] = [
  // The dynamic linker's cache of library paths.
  "/etc/ld.so.cache",
  // Name resolution, for the function's outbound calls (and "localhost").
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/nsswitch.conf",
  "/etc/host.conf",
  "/etc/gai.conf",
  // Trusted CAs and the OpenSSL configuration for outbound HTTPS (Debian,
  // then Fedora); not /etc/ssl/private.
  "/etc/ssl/certs",
  "/etc/ssl/openssl.cnf",
  "/etc/pki/tls/certs",
  "/etc/pki/ca-trust/extracted",
  // User and group names: Python's getpass/pwd and Node's os.userInfo() fail
  // without an entry. No secrets: password hashes live in /etc/shadow.
  "/etc/passwd",
  "/etc/group",
  // The local time zone.
  "/etc/localtime",
  "/etc/timezone",
  // Debian's alternatives: /usr/bin/x may link to /etc/alternatives/x.
  "/etc/alternatives",
];

/** A path made invisible inside a bound one: an empty read-only directory, or an empty file. */
export interface HiddenPath {
  /** Absolute path. */
  path: string;
  /** What is there: a directory is covered by an empty one, a file by /dev/null. */
  kind: "dir" | "file";
}

/** What the sandbox shows and runs: everything `sandboxArgv` needs. */
export interface SandboxPlan {
  /** The command and its arguments; a bare name is looked up on PATH inside the sandbox. */
  command: readonly string[];
  /** The upstream's directory (absolute): bound read-only, and its working directory. */
  cwd: string;
  /** Paths it may write (`allow_write`, absolute, existing): bound read-write. */
  writable?: readonly string[];
  /** More read-only paths its runtime needs (an interpreter outside /usr, say). */
  readOnly?: readonly string[];
  /**
   * Hidden where a bound path contains them, unless a path inside is bound
   * on purpose (the home directory: a function kept in it still sees its own
   * directory).
   */
  hidden?: readonly HiddenPath[];
  /** Hidden where a bound path contains them, always: the qfaas cache, secrets. */
  private?: readonly HiddenPath[];
}

/** `path` is `parent` or lies inside it. */
function within(path: string, parent: string): boolean {
  return parent === "/" || path === parent || path.startsWith(`${parent}/`);
}

function depth(path: string): number {
  return path === "/" ? 0 : path.split("/").length - 1;
}

function absolute(path: string, what: string): string {
  if (!path.startsWith("/")) {
    throw new TypeError(
      `Cannot sandbox the upstream: ${what} must be absolute, received "${path}"`,
    );
  }
  return resolve(path);
}

/** One mount, ordered so that a path's parents are mounted before it. */
interface Mount {
  path: string;
  /** At the same path: a hide (0) comes first, then system (1), read-only (2), read-write (3). */
  rank: number;
  args: string[];
}

function hide(entry: HiddenPath, rank: number): Mount {
  const path = absolute(entry.path, "a hidden path");
  return {
    path,
    rank,
    args: entry.kind === "dir"
      ? ["--tmpfs", path, "--remount-ro", path]
      : ["--ro-bind", "/dev/null", path],
  };
}

/**
 * The `bwrap` argv (starting with "bwrap") that runs `plan.command` in the
 * sandbox. Pure: the paths are taken as given (`planSandbox` resolves them).
 * The environment is the caller's: bwrap passes its own on.
 *
 * @example
 * ```ts
 * const [bwrap, ...args] = sandboxArgv({ command: ["python3", "index.py"], cwd: "/srv/fn" });
 * new Deno.Command(bwrap, { args, cwd: "/srv/fn" }).spawn();
 * ```
 */
export function sandboxArgv(plan: SandboxPlan): string[] {
  if (plan.command.length === 0 || !plan.command[0]) {
    throw new TypeError("Cannot sandbox the upstream: its command is empty");
  }
  const cwd = absolute(plan.cwd, "its directory");
  const writable = (plan.writable ?? []).map((path) => absolute(path, "an allow_write path"));
  const readOnly = (plan.readOnly ?? []).map((path) => absolute(path, "a runtime path"));
  const userBinds = [cwd, ...writable, ...readOnly];
  const bound = [...SYSTEM_DIRS, ...SYSTEM_FILES, ...userBinds];
  const mounts: Mount[] = [
    ...SYSTEM_DIRS.map((dir) => ({
      path: dir,
      rank: 1,
      args: [dir === "/usr" ? "--ro-bind" : "--ro-bind-try", dir, dir],
    })),
    ...SYSTEM_FILES.map((path) => ({ path, rank: 1, args: ["--ro-bind-try", path, path] })),
    { path: "/tmp", rank: 1, args: ["--tmpfs", "/tmp"] },
    { path: "/proc", rank: 1, args: ["--proc", "/proc"] },
    { path: "/dev", rank: 1, args: ["--dev", "/dev"] },
    ...[cwd, ...readOnly].map((path) => ({ path, rank: 2, args: ["--ro-bind", path, path] })),
    ...writable.map((path) => ({ path, rank: 3, args: ["--bind", path, path] })),
    // Only where a bound path contains it: elsewhere it simply does not exist.
    ...(plan.hidden ?? [])
      .filter((entry) => bound.some((parent) => within(resolve(entry.path), parent)))
      .map((entry) => hide(entry, 0)),
  ];
  mounts.sort((a, b) => depth(a.path) - depth(b.path) || a.rank - b.rank);
  // Last, so that nothing bound on purpose uncovers them.
  const last = (plan.private ?? [])
    .filter((entry) => bound.some((parent) => within(resolve(entry.path), parent)))
    .map((entry) => hide(entry, 0))
    .sort((a, b) => depth(a.path) - depth(b.path));
  return [
    "bwrap",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--die-with-parent",
    "--new-session",
    // Run as root, bwrap keeps every capability (and so could unmount what hides the home).
    "--cap-drop",
    "ALL",
    ...[...mounts, ...last].flatMap((mount) => mount.args),
    // The root holds only mount points: nothing may be written there.
    "--remount-ro",
    "/",
    "--chdir",
    cwd,
    "--",
    ...plan.command,
  ];
}

/** Inputs of `planSandbox`. */
export interface PlanOptions {
  /** The command and its arguments. */
  command: readonly string[];
  /** The upstream's directory. */
  cwd: string;
  /** `allow_write` paths; each must exist (bwrap binds what is there). */
  writable?: readonly string[];
  /** More read-only paths the runtime needs. */
  readOnly?: readonly string[];
  /** The environment the upstream gets: HOME and XDG_CACHE_HOME name what to hide. */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The real path of `path`, or null when it is not there or this process may
 * not read it. A worker may read its own directory and `allow_write` paths
 * (invoker/worker_process.ts grants them), so a path it may not read lies
 * outside every path the sandbox binds, where nothing needs hiding.
 */
async function visible(path: string): Promise<{ path: string; kind: "dir" | "file" } | null> {
  try {
    const real = await Deno.realPath(path);
    return { path: real, kind: (await Deno.stat(real)).isDirectory ? "dir" : "file" };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable) {
      return null;
    }
    throw error;
  }
}

/**
 * What a functions directory keeps from its functions, inside `dir`: its
 * `.secrets/`, and the `.env` files of its subdirectories other than `own`
 * (the same files invoker/worker_process.ts denies a Deno function).
 */
export async function privatePaths(dir: string, own: string): Promise<HiddenPath[]> {
  const found: HiddenPath[] = [];
  const entries = async (at: string) => {
    try {
      return await Array.fromAsync(Deno.readDir(at));
    } catch (error) {
      // An allow_write path may be a file: nothing inside to hide.
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        return [];
      }
      throw new SandboxError(`Cannot list ${at} for the files the sandbox hides`, {
        cause: error,
      });
    }
  };
  for (const entry of await entries(dir)) {
    if (entry.name === ".secrets") {
      found.push({ path: join(dir, entry.name), kind: entry.isDirectory ? "dir" : "file" });
    }
    if (!entry.isDirectory || join(dir, entry.name) === own) continue;
    for (const inner of await entries(join(dir, entry.name))) {
      if (!inner.isDirectory && /^\.env(\..*)?$/.test(inner.name)) {
        found.push({ path: join(dir, entry.name, inner.name), kind: "file" });
      }
    }
  }
  return found;
}

/**
 * The qfaas cache directories `env` can name: $XDG_CACHE_HOME/qfaas and
 * ~/.cache/qfaas (pki/dev_ca.ts picks one; hiding both needs no choice, and
 * keeps the certificate library out of the worker).
 */
function cacheDirs(env: PlanOptions["env"]): string[] {
  return [
    ...(env.XDG_CACHE_HOME ? [join(env.XDG_CACHE_HOME, "qfaas")] : []),
    ...(env.HOME ? [join(env.HOME, ".cache", "qfaas")] : []),
  ];
}

/**
 * A `SandboxPlan` for an upstream: its paths resolved (symbolic links
 * followed, so that what is hidden matches what is bound), and what to hide
 * found on disk. Throws SandboxError when an `allow_write` path is missing.
 */
export async function planSandbox(options: PlanOptions): Promise<SandboxPlan> {
  const command = options.command.join(" ");
  const real = async (path: string, what: string) => {
    try {
      return await Deno.realPath(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new SandboxError(
          `Cannot sandbox the upstream "${command}": ${what} ${path} does not exist ` +
            "(the sandbox can only bind a path that is there: create it first)",
          { command, cause: error },
        );
      }
      if (error instanceof Deno.errors.NotCapable) {
        // What the worker may not read, it cannot check for secrets to hide.
        throw new SandboxError(
          `Cannot sandbox the upstream "${command}": this worker may not read ${what} ${path} ` +
            "(an upstream's directory and allow_write paths need --allow-read)",
          { command, cause: error },
        );
      }
      throw new SandboxError(`Cannot sandbox the upstream "${command}": cannot resolve ${path}`, {
        command,
        cause: error,
      });
    }
  };
  const cwd = await real(options.cwd, "its directory");
  const writable: string[] = [];
  for (const path of options.writable ?? []) writable.push(await real(path, "allow_write path"));
  const readOnly: string[] = [];
  for (const path of options.readOnly ?? []) readOnly.push(await real(path, "runtime path"));
  const hidden = options.env.HOME ? [await visible(options.env.HOME)] : [];
  const caches = await Promise.all(cacheDirs(options.env).map(visible));
  const secrets: HiddenPath[] = [];
  for (const dir of new Set([cwd, ...writable])) secrets.push(...await privatePaths(dir, cwd));
  const unique = new Map(
    [...caches.filter((entry) => entry !== null), ...secrets].map((entry) => [entry.path, entry]),
  );
  return {
    command: options.command,
    cwd,
    writable,
    readOnly,
    hidden: hidden.filter((entry) => entry !== null),
    private: [...unique.values()],
  };
}

/** Whether upstreams can be sandboxed here, and if not, why and what to do. */
export type SandboxSupport =
  | { available: true }
  | { available: false; reason: string; hint: string };

let probed: Promise<SandboxSupport> | undefined;

/**
 * Whether bwrap is installed and can create its namespaces here, probed
 * once per process by running `/bin/true` in the same sandbox an upstream
 * gets. Needs permission to run `bwrap`; a denial is thrown, not taken for
 * "unavailable".
 */
export function sandboxSupport(): Promise<SandboxSupport> {
  return probed ??= probe();
}

async function probe(): Promise<SandboxSupport> {
  const [bwrap, ...args] = sandboxArgv({ command: ["/bin/true"], cwd: "/usr" });
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(bwrap, { args, stdin: "null", stdout: "null", stderr: "piped" })
      .output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return {
        available: false,
        reason: "bwrap (bubblewrap) is not installed",
        hint: "install bubblewrap (apt-get install bubblewrap, dnf install bubblewrap)",
      };
    }
    throw new SandboxError("Cannot probe the upstream sandbox: running bwrap failed", {
      cause: error,
    });
  }
  if (output.success) return { available: true };
  const said = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1);
  return {
    available: false,
    reason: `bwrap cannot create its sandbox here (${said || `exit code ${output.code}`})`,
    hint: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 " +
      "or kernel.apparmor_restrict_unprivileged_userns=0), or in a container allow them " +
      "(e.g. docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined)",
  };
}

/**
 * The line `qfaas dev` prints once at start when upstream `functions` will
 * run unsandboxed here; null when they will be sandboxed, or there are none.
 *
 * @example
 * ```ts
 * const notice = await unsandboxedNotice(["hello-python"]);
 * if (notice) print(`! ${notice}`);
 * ```
 */
export async function unsandboxedNotice(functions: readonly string[]): Promise<string | null> {
  if (functions.length === 0) return null;
  const support = await sandboxSupport();
  if (support.available) return null;
  const which = functions.length === 1
    ? `function ${functions[0]} runs`
    : `functions ${functions.join(", ")} run`;
  return `${which} unsandboxed, with your user's access to files: ${support.reason}; ` +
    `to sandbox them, ${support.hint}`;
}
