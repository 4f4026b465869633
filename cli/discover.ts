/**
 * Finds the functions `qfaas dev` serves in a directory: each subdirectory
 * with a `qfaas.json`, the functions of an OpenFaaS `stack.yml`, and
 * zero-config Deno functions (a subdirectory with `main.ts`, like Supabase
 * functions). A mistake in one function's configuration is reported as a
 * problem and never hides the others.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { InvokerFunction } from "../invoker/mod.ts";

/** How a function runs: a Deno module, or an OpenFaaS http-mode upstream (any language). */
export type Runtime = "deno" | "python" | "node" | "upstream";

/** A function found in the directory, ready to register with the invoker. */
export interface DiscoveredFunction {
  /** What the invoker runs. */
  fn: InvokerFunction;
  /** The function's directory (absolute). */
  dir: string;
  /** Where it was declared: its qfaas.json, the stack.yml, or (zero-config) its entry module. */
  source: string;
  /** How it runs. */
  runtime: Runtime;
}

/** A configuration error of one function (or of a whole file): that function is left out. */
export interface DiscoveryProblem {
  /** The function at fault, when known. */
  function?: string;
  /** The file at fault (absolute). */
  file: string;
  /** What is wrong and what was expected; names the file. */
  message: string;
}

/** What `discoverFunctions` found: functions sorted by name, and the problems. */
export interface Discovery {
  /** The functions, sorted by name. */
  functions: DiscoveredFunction[];
  /** Per-function configuration errors; the other functions are unaffected. */
  problems: DiscoveryProblem[];
}

/** A valid function name: a DNS label (lowercase letters, digits and inner "-", at most 63). */
export const FUNCTION_NAME: RegExp = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The files that make a directory a Deno function, in order of preference. */
export const DENO_ENTRIES: readonly string[] = [
  "main.ts",
  "index.ts",
  "mod.ts",
  "main.js",
  "index.js",
];

/**
 * Where an upstream (python, node, upstream) function's server listens unless
 * configured. Port 0: each worker's watchdog picks a free port and passes it
 * as `upstream_url` and `PORT`, so several workers of one function can run.
 */
export const DEFAULT_UPSTREAM_URL = "http://127.0.0.1:0";

const DEFAULT_FPROCESS: Record<"python" | "node", string> = {
  python: "python3 index.py",
  node: "node index.js",
};
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;
const NAME_RULE = 'lowercase letters, digits and "-" (not first or last), at most 63 characters';

/** Finds the functions in `dir`; throws `Deno.errors.NotFound` if `dir` does not exist. */
export async function discoverFunctions(dir: string): Promise<Discovery> {
  const root = resolve(dir);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot discover functions: no directory ${dir} (${root})`);
    }
    throw error;
  }
  if (!info.isDirectory) {
    throw new Deno.errors.NotADirectory(`Cannot discover functions: ${dir} is not a directory`);
  }

  const results: Result[] = [];
  const stack = await stackFile(root, results);
  const handlerDirs = new Set<string>();
  if (stack) results.push(...await fromStack(root, stack, handlerDirs));

  for (const sub of await subdirectories(root)) {
    const config = join(sub, "qfaas.json");
    if (await isFile(config)) {
      results.push(await guarded(config, () => fromQfaasJson(root, sub, config)));
    } else if (!handlerDirs.has(sub)) {
      const entry = await findEntry(sub);
      if (entry) results.push(await guarded(entry, () => fromConfig(root, sub, entry, {})));
    }
  }

  const functions = new Map<string, DiscoveredFunction>();
  const problems: DiscoveryProblem[] = [];
  for (const { found, problems: own } of results) {
    problems.push(...own);
    if (!found) continue;
    const earlier = functions.get(found.fn.name);
    if (earlier) {
      problems.push({
        function: found.fn.name,
        file: found.source,
        message:
          `${found.source}: function "${found.fn.name}" is already defined in ${earlier.source}; names must be unique`,
      });
    } else {
      functions.set(found.fn.name, found);
    }
  }
  const sorted = [...functions.values()].sort((a, b) => a.fn.name < b.fn.name ? -1 : 1);
  return { functions: sorted, problems };
}

/** What `qfaas dev` looks for, for a directory where it found no function. */
export function describeEmpty(dir: string): string {
  const here = DENO_ENTRIES.concat("qfaas.json").find((file) => {
    try {
      return Deno.statSync(join(dir, file)).isFile;
    } catch {
      return false;
    }
  });
  return [
    `No functions found in ${dir}.`,
    ...(here
      ? [
        `${dir} looks like a function itself (it has ${here}): run qfaas dev on the directory that contains it.`,
      ]
      : []),
    "",
    "qfaas dev looks in the directory for:",
    `  <name>/main.ts          a Deno function (or ${
      DENO_ENTRIES.slice(1).join(", ")
    }) whose default export is (request) => Response or { fetch(request) }`,
    "  <name>/qfaas.json       a function's settings: runtime (deno, python, node, upstream), env, secrets, limits",
    "  stack.yml               OpenFaaS functions: handler directories, environment, secrets, limits",
    'Directories whose names start with "." or "_" are skipped.',
    "",
    "To create a function:",
    "  qfaas new hello                 (a Deno function in ./hello; --lang python or node for others)",
    "  qfaas dev .",
  ].join("\n");
}

/** One malformed line of a dotenv file. */
export interface DotenvError {
  /** 1-based line number. */
  line: number;
  /** What is wrong with it. */
  message: string;
}

/**
 * Parses dotenv text: `KEY=VALUE` lines, `#` comments, blank lines, an optional
 * `export ` prefix, 'single' (literal) and "double" quoted values (`\n`, `\t`,
 * `\"`, `\\` escapes). Malformed lines are reported, the others still read.
 */
export function parseDotenv(text: string): { env: Record<string, string>; errors: DotenvError[] } {
  const env: Record<string, string> = {};
  const errors: DotenvError[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      errors.push({ line: index + 1, message: `expected KEY=VALUE, received ${show(line)}` });
      return;
    }
    const value = dotenvValue(match[2]);
    if (typeof value === "string") env[match[1]] = value;
    else errors.push({ line: index + 1, message: value.error });
  });
  return { env, errors };
}

/** The environment variable a secret is given as: `db-password` → `DB_PASSWORD`. */
export function secretEnvName(secret: string): string {
  return secret.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

// ---------------------------------------------------------------------------
// Per-function results

/** One function's outcome: found, or not, and its problems. */
interface Result {
  found?: DiscoveredFunction;
  problems: DiscoveryProblem[];
}

/** Collects the problems of one function (or file). */
class Problems {
  readonly list: DiscoveryProblem[] = [];
  constructor(public name?: string) {}
  add(file: string, message: string): void {
    this.list.push({ ...(this.name === undefined ? {} : { function: this.name }), file, message });
  }
}

/** Runs `load`, turning an unexpected error (unreadable file…) into a problem of `file`. */
async function guarded(file: string, load: () => Promise<Result>): Promise<Result> {
  try {
    return await load();
  } catch (error) {
    return { problems: [{ file, message: `${file}: ${(error as Error).message}` }] };
  }
}

// ---------------------------------------------------------------------------
// qfaas.json (and zero-config, which is an empty qfaas.json)

/** Reads and checks `dir/qfaas.json`. */
async function fromQfaasJson(root: string, dir: string, file: string): Promise<Result> {
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return { problems: [{ file, message: `${file}: not valid JSON: ${error.message}` }] };
  }
  if (!isRecord(raw)) {
    return {
      problems: [{ file, message: `${file}: expected a JSON object, received ${show(raw)}` }],
    };
  }
  return fromConfig(root, dir, file, raw);
}

const RUNTIMES = ["deno", "python", "node", "upstream"] as const;

const QFAAS_FIELDS = {
  name: text,
  runtime: oneOf(RUNTIMES),
  handler: text,
  fprocess: text,
  upstream_url: httpUrl,
  env: environment(false),
  env_file: text,
  secrets: secretNames,
  min: integer(0),
  max: integer(1),
  idle_timeout: duration,
  exec_timeout: duration,
  max_inflight: integer(1),
  memory,
  transport: oneOf(["h3", "tls", "tcp"] as const),
  connection: oneOf(["keep-alive", "new"] as const),
  early_data: oneOf(["all", "idempotent", "off"] as const),
  allow_write: list(text, "a list of paths (relative to the function's directory)"),
  max_body: bytes,
};

/** Builds a function from a qfaas.json object (`{}` for a zero-config directory). */
async function fromConfig(
  root: string,
  dir: string,
  source: string,
  raw: Record<string, unknown>,
): Promise<Result> {
  const fromDir = typeof raw.name !== "string";
  const name = fromDir ? basename(dir) : raw.name as string;
  const problems = new Problems(name);
  const fail = (message: string) => problems.add(source, `${source}: ${message}`);

  for (const key of Object.keys(raw)) {
    if (key in QFAAS_FIELDS) continue;
    const near = closest(key, Object.keys(QFAAS_FIELDS));
    fail(`unknown field "${key}"${near ? ` (did you mean "${near}"?)` : ""}`);
  }
  const f = readFields(raw, QFAAS_FIELDS, fail);
  if (!FUNCTION_NAME.test(name)) {
    fail(
      fromDir
        ? `the directory name "${name}" is not a valid function name (${NAME_RULE}); rename it or set "name" in qfaas.json`
        : `field "name" must be ${NAME_RULE}, received ${show(name)}`,
    );
  }

  const runtime: Runtime = f.runtime ?? "deno";
  let module: string | undefined;
  let upstream: InvokerFunction["upstream"];
  if ("runtime" in raw && f.runtime === undefined) {
    // A wrong runtime is reported already; checking the rest against a guess would mislead.
  } else if (runtime === "deno") {
    for (const key of ["fprocess", "upstream_url"]) {
      if (key in raw) fail(`field "${key}" is for runtimes python, node and upstream, not deno`);
    }
    if (f.handler !== undefined) {
      module = resolve(dir, f.handler);
      if (!await isFile(module)) fail(`field "handler": no file ${module}`);
    } else {
      module = await findEntry(dir) ?? undefined;
      if (!module) fail(`no Deno entry: add ${DENO_ENTRIES.join(", ")} or set "handler"`);
    }
  } else {
    if ("handler" in raw) {
      fail(`field "handler" is for the deno runtime; a ${runtime} function sets "fprocess"`);
    }
    const fprocess = f.fprocess ?? (runtime === "upstream" ? undefined : DEFAULT_FPROCESS[runtime]);
    if (fprocess === undefined && !("fprocess" in raw)) {
      fail(`runtime "upstream" needs "fprocess", the command that starts its HTTP server`);
    } else if (fprocess !== undefined && fprocess.trim() === "") {
      fail(`field "fprocess" must be a command, received ""`);
    }
    if (fprocess) {
      upstream = { fprocess, upstreamUrl: f.upstream_url ?? DEFAULT_UPSTREAM_URL, cwd: dir };
    }
  }

  const envFile = f.env_file !== undefined
    ? resolve(dir, f.env_file)
    : (await isFile(join(dir, ".env")) ? join(dir, ".env") : undefined);
  const env = {
    ...(envFile ? await loadEnvFile(envFile, problems, false) : {}),
    ...f.env,
    ...await loadSecrets(root, f.secrets ?? [], source, problems),
  };
  checkScale(f.min, f.max, fail);

  if (problems.list.length > 0) return { problems: problems.list };
  const fn: InvokerFunction = compact({
    name,
    module,
    upstream,
    transport: f.transport,
    env: Object.keys(env).length > 0 ? env : undefined,
    execTimeoutMs: f.exec_timeout,
    maxInflight: f.max_inflight,
    memoryMiB: f.memory,
    min: f.min,
    max: f.max,
    idleMs: f.idle_timeout,
    connection: f.connection,
    earlyData: f.early_data,
    writable: f.allow_write?.map((path) => resolve(dir, path)),
    maxBodyBytes: f.max_body,
  });
  return { found: { fn, dir, source, runtime }, problems: [] };
}

// ---------------------------------------------------------------------------
// OpenFaaS stack.yml

/** `stack.yml`, else `stack.yaml`, in `root` (null if neither). */
async function stackFile(root: string, results: Result[]): Promise<string | null> {
  const yml = join(root, "stack.yml");
  const yaml = join(root, "stack.yaml");
  const [hasYml, hasYaml] = [await isFile(yml), await isFile(yaml)];
  if (hasYml && hasYaml) {
    results.push({
      problems: [{ file: yaml, message: `${yaml}: ignored, because ${yml} is used` }],
    });
  }
  return hasYml ? yml : hasYaml ? yaml : null;
}

const STACK_FIELDS = {
  lang: text,
  handler: text,
  environment: environment(true),
  environment_file: list(text, "a list of file paths"),
  secrets: secretNames,
  limits: record,
  labels: environment(true),
};

/** The functions of an OpenFaaS stack file; adds their handler directories to `handlerDirs`. */
async function fromStack(root: string, file: string, handlerDirs: Set<string>): Promise<Result[]> {
  let doc: unknown;
  try {
    doc = parseYaml(await Deno.readTextFile(file));
  } catch (error) {
    return [{
      problems: [{ file, message: `${file}: not valid YAML: ${(error as Error).message}` }],
    }];
  }
  const functions = isRecord(doc) ? doc.functions : undefined;
  if (functions === null) return [];
  if (!isRecord(functions)) {
    return [{
      problems: [{
        file,
        message: `${file}: expected a "functions" map (name: { lang, handler, … }), received ${
          show(functions)
        }`,
      }],
    }];
  }
  const results: Result[] = [];
  for (const [name, raw] of Object.entries(functions)) {
    if (isRecord(raw) && typeof raw.handler === "string") {
      handlerDirs.add(resolve(dirname(file), raw.handler));
    }
    results.push(await guarded(file, () => fromStackFunction(root, file, name, raw)));
  }
  return results;
}

/** One function of a stack file. */
async function fromStackFunction(
  root: string,
  file: string,
  name: string,
  raw: unknown,
): Promise<Result> {
  const problems = new Problems(name);
  const fail = (message: string) => problems.add(file, `${file}: function "${name}": ${message}`);
  if (!FUNCTION_NAME.test(name)) fail(`the name must be ${NAME_RULE}`);
  if (!isRecord(raw)) {
    fail(`expected a map (lang, handler, environment, …), received ${show(raw)}`);
    return { problems: problems.list };
  }
  const f = readFields(raw, STACK_FIELDS, fail);

  // Environment: the environment files in order, then `environment`, then secrets.
  let env: Record<string, string> = {};
  for (const entry of f.environment_file ?? []) {
    Object.assign(env, await loadEnvFile(resolve(dirname(file), entry), problems, true));
  }
  env = { ...env, ...f.environment, ...await loadSecrets(root, f.secrets ?? [], file, problems) };

  // of-watchdog's own settings, honoured from the environment.
  const { fprocess, upstream_url: upstreamUrl, mode } = env;
  delete env.fprocess;
  delete env.upstream_url;
  delete env.mode;
  let execTimeoutMs: number | undefined;
  if (env.exec_timeout !== undefined) {
    // of-watchdog reads a bare number as seconds.
    execTimeoutMs = durationText(env.exec_timeout, 1000) ?? undefined;
    if (execTimeoutMs === undefined) {
      fail(
        `environment "exec_timeout" must be a duration like 10s, received ${
          show(env.exec_timeout)
        }`,
      );
    }
  }
  let maxInflight: number | undefined;
  if (env.max_inflight !== undefined) {
    maxInflight = /^\d+$/.test(env.max_inflight.trim()) ? Number(env.max_inflight) : undefined;
    if (maxInflight === undefined) {
      fail(`environment "max_inflight" must be an integer, received ${show(env.max_inflight)}`);
    }
    if (maxInflight === 0) maxInflight = undefined; // of-watchdog: 0 is unlimited
  }

  // Scaling labels and the memory limit.
  const label = (key: string, min: number): number | undefined => {
    const value = f.labels?.[key];
    if (value === undefined) return undefined;
    if (/^\d+$/.test(value.trim()) && Number(value) >= min) return Number(value);
    fail(`label "${key}" must be an integer >= ${min}, received ${show(value)}`);
    return undefined;
  };
  const min = label("com.openfaas.scale.min", 0);
  const max = label("com.openfaas.scale.max", 1);
  checkScale(min, max, fail);
  let memoryMiB: number | undefined;
  if (f.limits?.memory !== undefined) {
    try {
      memoryMiB = memory(f.limits.memory);
    } catch (error) {
      if (!(error instanceof Expected)) throw error;
      fail(`"limits.memory" must be ${error.expected}, received ${show(f.limits.memory)}`);
    }
  }

  // What runs: an http-mode upstream, or a Deno module in the handler directory.
  let dir: string | undefined;
  if (f.handler === undefined) {
    fail(`no "handler": qfaas dev runs a handler directory (images are not run)`);
  } else {
    dir = resolve(dirname(file), f.handler);
    if (!(await stat(dir))?.isDirectory) fail(`"handler": no directory ${dir}`);
  }
  let runtime: Runtime = "deno";
  let module: string | undefined;
  let upstream: InvokerFunction["upstream"];
  if (fprocess !== undefined) {
    const lang = f.lang ?? "";
    runtime = lang.startsWith("python") ? "python" : lang.startsWith("node") ? "node" : "upstream";
    if (mode !== undefined && mode !== "http") {
      fail(`environment "mode" must be "http" (of-watchdog http mode), received ${show(mode)}`);
    } else if (upstreamUrl === undefined && mode !== "http") {
      fail(`environment "fprocess" needs "upstream_url" (of-watchdog http mode)`);
    } else if (upstreamUrl !== undefined && !isHttpUrl(upstreamUrl)) {
      fail(`environment "upstream_url" must be an http URL, received ${show(upstreamUrl)}`);
    } else if (fprocess.trim() === "") {
      fail(`environment "fprocess" must be a command, received ""`);
    }
    if (dir) upstream = { fprocess, upstreamUrl: upstreamUrl ?? DEFAULT_UPSTREAM_URL, cwd: dir };
  } else if (dir && (await stat(dir))?.isDirectory) {
    module = await findEntry(dir) ?? undefined;
    if (!module) {
      fail(
        `the handler ${dir} has no Deno entry (${
          DENO_ENTRIES.join(", ")
        }); for another language set environment "fprocess" and "upstream_url" (of-watchdog http mode)`,
      );
    }
  }

  if (problems.list.length > 0 || !dir) return { problems: problems.list };
  const fn: InvokerFunction = compact({
    name,
    module,
    upstream,
    env: Object.keys(env).length > 0 ? env : undefined,
    execTimeoutMs,
    maxInflight,
    memoryMiB,
    min,
    max,
  });
  return { found: { fn, dir, source: file, runtime }, problems: [] };
}

// ---------------------------------------------------------------------------
// Environment files and secrets

/**
 * Reads an environment file: dotenv, or (for stack.yml, `yaml`) an OpenFaaS
 * YAML file with an `environment:` map.
 */
async function loadEnvFile(
  file: string,
  problems: Problems,
  yaml: boolean,
): Promise<Record<string, string>> {
  let content: string;
  try {
    content = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
    problems.add(file, `${file}: cannot read the environment file: ${reason}`);
    return {};
  }
  if (yaml) {
    let doc: unknown;
    try {
      doc = parseYaml(content);
    } catch { /* not YAML: dotenv */ }
    if (isRecord(doc) && isRecord(doc.environment)) {
      try {
        return environment(true)(doc.environment);
      } catch (error) {
        if (!(error instanceof Expected)) throw error;
        problems.add(file, `${file}: "environment" must be ${error.expected}`);
        return {};
      }
    }
  }
  const { env, errors } = parseDotenv(content);
  for (const { line, message } of errors) problems.add(file, `${file}:${line}: ${message}`);
  return env;
}

/** Reads secrets from `root/.secrets/<name>`, as env vars named by `secretEnvName`. */
async function loadSecrets(
  root: string,
  names: string[],
  source: string,
  problems: Problems,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const path = join(root, ".secrets", name);
    try {
      env[secretEnvName(name)] = (await Deno.readTextFile(path)).replace(/\r?\n$/, "");
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? `is missing: create the file ${path}`
        : `cannot be read from ${path}: ${(error as Error).message}`;
      problems.add(path, `${source}: secret "${name}" ${reason}`);
    }
  }
  return env;
}

/** The value part of a dotenv line, unquoted; or what is wrong with it. */
function dotenvValue(rest: string): string | { error: string } {
  const quote = rest[0];
  if (quote !== '"' && quote !== "'") {
    return rest.startsWith("#") ? "" : rest.replace(/\s+#.*$/, "").trim();
  }
  let value = "";
  let i = 1;
  for (; i < rest.length && rest[i] !== quote; i++) {
    if (quote === '"' && rest[i] === "\\" && i + 1 < rest.length) {
      const next = rest[++i];
      value += { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" }[next] ?? `\\${next}`;
    } else {
      value += rest[i];
    }
  }
  if (i >= rest.length) return { error: `unterminated ${quote} quote` };
  const after = rest.slice(i + 1).trim();
  if (after !== "" && !after.startsWith("#")) {
    return { error: `unexpected ${show(after)} after the quoted value` };
  }
  return value;
}

// ---------------------------------------------------------------------------
// Field readers: each returns the value or throws Expected

/** A field's value is not what it should be. */
class Expected extends Error {
  constructor(readonly expected: string) {
    super(expected);
  }
}

type Reader<T> = (value: unknown) => T;
type Fields<R extends Record<string, Reader<unknown>>> = { [K in keyof R]?: ReturnType<R[K]> };

/** Reads the fields of `object` that `readers` knows; a wrong one is reported and left out. */
function readFields<R extends Record<string, Reader<unknown>>>(
  object: Record<string, unknown>,
  readers: R,
  fail: (message: string) => void,
): Fields<R> {
  const out: Fields<R> = {};
  for (const key of Object.keys(readers) as (keyof R & string)[]) {
    if (!Object.hasOwn(object, key)) continue;
    try {
      out[key] = readers[key](object[key]) as ReturnType<R[typeof key]>;
    } catch (error) {
      if (!(error instanceof Expected)) throw error;
      fail(`field "${key}" must be ${error.expected}, received ${show(object[key])}`);
    }
  }
  return out;
}

function text(value: unknown): string {
  if (typeof value !== "string") throw new Expected("a string");
  return value;
}

function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Expected("a map");
  return value;
}

function oneOf<T extends string>(values: readonly T[]): Reader<T> {
  return (value) => {
    if (typeof value !== "string" || !values.includes(value as T)) {
      throw new Expected(`one of ${values.map((v) => `"${v}"`).join(", ")}`);
    }
    return value as T;
  };
}

function integer(min: number): Reader<number> {
  return (value) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      throw new Expected(`an integer >= ${min}`);
    }
    return value;
  };
}

function list<T>(item: Reader<T>, expected: string): Reader<T[]> {
  return (value) => {
    if (!Array.isArray(value)) throw new Expected(expected);
    try {
      return value.map(item);
    } catch (error) {
      if (error instanceof Expected) throw new Expected(expected);
      throw error;
    }
  };
}

function secretNames(value: unknown): string[] {
  const expected = "a list of secret names (letters, digits, '.', '_', '-')";
  if (!Array.isArray(value)) throw new Expected(expected);
  for (const item of value) {
    if (typeof item !== "string" || !SECRET_NAME.test(item)) throw new Expected(expected);
  }
  return value;
}

function httpUrl(value: unknown): string {
  if (typeof value !== "string" || !isHttpUrl(value)) {
    throw new Expected(`an http URL like "http://127.0.0.1:8082" (port 0: any free port)`);
  }
  return value;
}

/** Environment variables: strings (or, from YAML, any scalar, stringified). */
function environment(scalars: boolean): Reader<Record<string, string>> {
  const what = scalars ? "scalars" : "strings";
  return (value) => {
    if (!isRecord(value)) throw new Expected(`a map of variable names to ${what}`);
    const env: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!scalars && !ENV_KEY.test(key)) {
        throw new Expected(
          `a map of variable names (letters, digits, "_") to strings, not ${show(key)}`,
        );
      }
      const ok = typeof item === "string" ||
        (scalars && (typeof item === "number" || typeof item === "boolean" || item === null));
      if (!ok) throw new Expected(`a map of variable names to ${what} (${key} is ${show(item)})`);
      env[key] = item === null ? "" : String(item);
    }
    return env;
  };
}

/** Milliseconds, or "10s", "500ms", "2m" (and Go-style "1m30s"). */
function duration(value: unknown): number {
  const ms = typeof value === "number"
    ? (Number.isFinite(value) && value >= 0 ? Math.round(value) : null)
    : typeof value === "string"
    ? durationText(value)
    : null;
  if (ms === null) {
    throw new Expected('a duration: milliseconds, or a string like "10s", "500ms" or "2m"');
  }
  return ms;
}

/** Parses "10s", "500ms", "2m", "1h", "1m30s"; a bare number is `bare` ms each, if given. */
function durationText(value: string, bare?: number): number | null {
  const t = value.trim();
  if (bare !== undefined && /^\d+$/.test(t)) return Number(t) * bare;
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(t)) return null;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * units[unit];
  return Math.round(ms);
}

/** MiB: a positive integer, or "128Mi", "256M", "1Gi" ("M" is read as MiB, as people mean it). */
function memory(value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === "string" ? /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)$/.exec(value) : null;
  const scale: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024 };
  const mib = match ? Math.ceil(Number(match[1]) * scale[match[2][0]]) : 0;
  if (mib <= 0) throw new Expected('MiB as a positive integer, or a string like "128Mi" or "256M"');
  return mib;
}

/** Bytes: a positive integer, or "512Ki", "100Mi", "1Gi" ("M" is read as MiB, as for memory). */
function bytes(value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === "string" ? /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)$/.exec(value) : null;
  const scale: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  const size = match ? Math.ceil(Number(match[1]) * scale[match[2][0]]) : 0;
  if (size <= 0) {
    throw new Expected('bytes as a positive integer, or a string like "100Mi" or "1Gi"');
  }
  return size;
}

/** `min` may not exceed `max` (default 4). */
function checkScale(
  min: number | undefined,
  max: number | undefined,
  fail: (message: string) => void,
): void {
  if (min !== undefined && min > (max ?? 4)) {
    fail(`min (${min}) exceeds max (${max ?? "4, the default"})`);
  }
}

// ---------------------------------------------------------------------------
// Small helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** A value as it appears in a message (JSON, truncated). */
function show(value: unknown): string {
  const json = value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** `object` without its undefined properties. */
function compact<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

/** The known name nearest to a typo (edit distance at most 2), if any. */
function closest(word: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

async function stat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path))?.isFile ?? false;
}

/** The first Deno entry file in `dir`, absolute; null if none. */
async function findEntry(dir: string): Promise<string | null> {
  for (const file of DENO_ENTRIES) {
    if (await isFile(join(dir, file))) return join(dir, file);
  }
  return null;
}

/** The subdirectories of `root` that may hold functions (not "." or "_" ones), sorted. */
async function subdirectories(root: string): Promise<string[]> {
  const dirs: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
    const path = join(root, entry.name);
    if (entry.isDirectory || (entry.isSymlink && (await stat(path))?.isDirectory)) dirs.push(path);
  }
  return dirs.sort();
}
