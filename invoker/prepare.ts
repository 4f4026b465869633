/**
 * Prepares a function before any worker runs it: writes the Deno
 * configuration its workers use (config/worker_config.ts) and resolves and
 * caches its whole module graph, npm and jsr packages included, once. Workers
 * then start with `--cached-only` and never touch the network for code.
 * Downloads honour the standard settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY,
 * SSL_CERT_FILE, DENO_CERT, NODE_EXTRA_CA_CERTS, DENO_AUTH_TOKENS): this runs
 * with the developer's own environment.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { findProjectFiles, type FunctionDefinition, workerDenoConfig } from "../config/mod.ts";
import { cacheDir } from "../pki/mod.ts";

const PROJECT = new URL("..", import.meta.url).pathname;
const WATCHDOG = new URL("../watchdog/main.ts", import.meta.url).pathname;
const CHAIN = new URL("../chain/mod.ts", import.meta.url).pathname;

/** A prepared function: the configuration its workers run with. */
export interface Prepared {
  /** The generated deno.json (absolute path). */
  config: string;
  /** How long preparing took, ms. */
  ms: number;
  /** Nothing had changed since the last preparation: `deno cache` was not run. */
  cached: boolean;
}

/** A function whose module graph could not be resolved; `detail` is Deno's whole message. */
export class PrepareError extends Error {
  /** Creates the error for `functionName`, with Deno's first error line and its whole output. */
  constructor(readonly functionName: string, readonly firstLine: string, readonly detail: string) {
    super(`function ${functionName} cannot be prepared: ${firstLine}`);
    this.name = "PrepareError";
  }
}

/**
 * The npm packages a worker's own code (the watchdog) imports: all that a
 * function's configuration needs of qfaas's import map. With Deno's global
 * npm cache, every npm package an import map names must be cached before a
 * `--cached-only` worker loads any, so the map names no more than needed.
 */
const WORKER_PACKAGES = ["@hono/node-server", "hono", "@matrixai/quic-linux-x64"];

/** Every npm package `config`'s mappings name, as `deno cache` takes them. */
function npmPackages(
  config: { imports: Record<string, string>; scopes: Record<string, Record<string, string>> },
): string[] {
  const targets = [config.imports, ...Object.values(config.scopes)].flatMap(Object.values);
  return [...new Set(targets.filter((t) => t.startsWith("npm:") && !t.startsWith("npm:/")))];
}

/** qfaas's own import map, read once. */
let qfaasImports: Promise<Record<string, string>> | null = null;

function ownImports(): Promise<Record<string, string>> {
  qfaasImports ??= Deno.readTextFile(join(PROJECT, "deno.json")).then((text) =>
    JSON.parse(text).imports ?? {}
  );
  return qfaasImports;
}

/**
 * Writes `fn`'s worker configuration under `dir` (default: the cache) and
 * caches its module graph with `deno cache`, into `options.denoDir` (default:
 * this process's DENO_DIR; an image's is another). Throws `PrepareError`
 * naming the file and specifier Deno could not resolve.
 */
export async function prepareFunction(
  fn: FunctionDefinition,
  dir = join(cacheDir(), "prepared"),
  options: { denoDir?: string } = {},
): Promise<Prepared> {
  const denoDir = options.denoDir ?? Deno.env.get("DENO_DIR");
  if (!fn.module) throw new TypeError(`Cannot prepare ${fn.name}: it has no Deno module`);
  const started = performance.now();
  const own = fn.dir ?? dirname(fn.module);
  const root = fn.root ?? own;
  let files;
  try {
    files = await findProjectFiles(root, own);
  } catch (error) {
    const message = (error as Error).message;
    throw new PrepareError(fn.name, message, message);
  }
  // Functions kept inside qfaas's repository (its examples) may use its whole map.
  const all = await ownImports();
  const imports = `${root}/`.startsWith(PROJECT)
    ? all
    : Object.fromEntries(Object.entries(all).filter(([name]) => WORKER_PACKAGES.includes(name)));
  const shared = workerDenoConfig({
    qfaas: { dir: PROJECT, imports },
    chainModule: CHAIN,
    files,
    lock: "",
  });
  // Named by its content: functions with the same import map share one file (and one
  // lockfile), so their workers share a class and can take each other's stem cells.
  const id = createHash("sha256").update(JSON.stringify(shared)).digest("hex").slice(0, 16);
  const config = { ...shared, lock: `${id}.deno.lock` };
  const key = createHash("sha256").update(root).digest("hex").slice(0, 16);
  await Deno.mkdir(join(dir, key), { recursive: true });
  const path = join(dir, key, `${id}.deno.json`);
  const text = JSON.stringify(config, null, 2) + "\n";
  // Nothing changed since this function's last preparation (configuration, the functions
  // directory's files, the cache): its graph is cached already.
  const stamp = join(dir, key, `${fn.name}.stamp`);
  const fingerprint = await fingerprintOf(text + fn.module, root, denoDir);
  if (await readOr(stamp) === fingerprint && await readOr(join(dir, key, config.lock)) !== null) {
    return { config: path, ms: performance.now() - started, cached: true };
  }
  await Deno.remove(stamp).catch(() => {});
  // One `deno cache` at a time per configuration: they share its lockfile.
  const previous = caching.get(path) ?? Promise.resolve();
  const run = previous.then(() => cacheGraph(fn, path, text, npmPackages(config), denoDir));
  caching.set(path, run.catch(() => {})); // its error is this caller's; the next one still runs
  await run;
  await Deno.writeTextFile(stamp, fingerprint);
  return { config: path, ms: performance.now() - started, cached: false };
}

/** The `deno cache` in flight per configuration file. */
const caching = new Map<string, Promise<void>>();

/** Writes `text` to `path` and caches `fn`'s graph with it; throws PrepareError. */
async function cacheGraph(
  fn: FunctionDefinition,
  path: string,
  text: string,
  packages: string[],
  denoDir: string | undefined,
): Promise<void> {
  // Named by its content, it never changes once written; workers may be reading it.
  if (await readOr(path) !== text) await Deno.writeTextFile(path, text);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["cache", "--quiet", `--config=${path}`, WATCHDOG, fn.module!, ...packages],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", ...(denoDir ? { DENO_DIR: denoDir } : {}) },
  }).output();
  if (code !== 0) {
    const detail = new TextDecoder().decode(stderr).trim();
    const first = detail.split("\n").find((line) => /^error:/.test(line)) ??
      detail.split("\n")[0] ?? `deno cache exited with code ${code}`;
    throw new PrepareError(fn.name, first.replace(/^error:\s*/, ""), detail);
  }
}

/** A file's text, or null when it does not exist. */
async function readOr(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * What a preparation depends on: the generated configuration, Deno's cache
 * directory, and every file of the functions directory (path, size and
 * modification time; dot-directories and node_modules hold no code of its).
 */
async function fingerprintOf(
  config: string,
  root: string,
  denoDir: string | undefined,
): Promise<string> {
  const hash = createHash("sha256").update(config).update(denoDir ?? "")
    .update(Deno.env.get("XDG_CACHE_HOME") ?? "");
  const walk = async (dir: string): Promise<void> => {
    const entries = [];
    for await (const entry of Deno.readDir(dir)) entries.push(entry);
    entries.sort((a, b) => a.name < b.name ? -1 : 1);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        if (!entry.name.startsWith(".") && entry.name !== "node_modules") await walk(path);
      } else if (entry.isFile) {
        const info = await Deno.stat(path);
        hash.update(`${path}\0${info.size}\0${info.mtime?.getTime() ?? 0}\n`);
      }
    }
  };
  await walk(root);
  return hash.digest("hex");
}
