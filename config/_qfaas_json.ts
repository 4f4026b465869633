/**
 * A function's `qfaas.json` (and a zero-config directory, which is an empty
 * one).
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import {
  bytes,
  checkScale,
  closest,
  compact,
  duration,
  environment,
  flag,
  httpUrl,
  integer,
  isRecord,
  list,
  memory,
  oneOf,
  readFields,
  secretNames,
  show,
  text,
} from "./_fields.ts";
import { DENO_ENTRIES, findEntry, isFile } from "./_fs.ts";
import { Problems, type Result } from "./_problems.ts";
import { loadEnvFile, loadSecrets } from "./env_files.ts";
import { type FunctionDefinition, type Runtime, TRANSPORTS } from "./function.ts";
import { FUNCTION_NAME, NAME_RULE } from "./names.ts";

/** Reads and checks `dir/qfaas.json`. */
export async function fromQfaasJson(root: string, dir: string, file: string): Promise<Result> {
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

export const RUNTIMES = ["deno", "python", "node", "upstream"] as const;

export const QFAAS_FIELDS = {
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
  transport: oneOf(TRANSPORTS),
  connection: oneOf(["keep-alive", "new"] as const),
  early_data: oneOf(["all", "idempotent", "off"] as const),
  allow_write: list(text, "a list of paths (relative to the function's directory)"),
  allow_ffi: flag,
  max_body: bytes,
};

/** Builds a function from a qfaas.json object (`{}` for a zero-config directory). */
export async function fromConfig(
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
  let upstream: FunctionDefinition["upstream"];
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
  const fn: FunctionDefinition = compact({
    name,
    dir,
    root,
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
    allowFfi: f.allow_ffi || undefined,
    maxBodyBytes: f.max_body,
  });
  return { found: { fn, dir, source, runtime }, problems: [] };
}

export const DEFAULT_FPROCESS: Record<"python" | "node", string> = {
  python: "python3 index.py",
  node: "node index.js",
};

/**
 * Where an upstream (python, node, upstream) function's server listens unless
 * configured. Port 0: each worker's watchdog picks a free port and passes it
 * as `upstream_url` and `PORT`, so several workers of one function can run.
 */
export const DEFAULT_UPSTREAM_URL = "http://127.0.0.1:0";
