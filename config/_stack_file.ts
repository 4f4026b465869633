/**
 * OpenFaaS `stack.yml`: its functions, environment files, secrets, scaling
 * labels and limits.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  checkScale,
  compact,
  environment,
  Expected,
  isHttpUrl,
  isRecord,
  list,
  memory,
  readFields,
  record,
  secretNames,
  show,
  text,
} from "./_fields.ts";
import { DENO_ENTRIES, findEntry, isFile, stat } from "./_fs.ts";
import { guarded, Problems, type Result } from "./_problems.ts";
import { DEFAULT_UPSTREAM_URL } from "./_qfaas_json.ts";
import { parseDuration } from "./duration.ts";
import { loadEnvFile, loadSecrets } from "./env_files.ts";
import type { FunctionDefinition, Runtime } from "./function.ts";
import { FUNCTION_NAME, NAME_RULE } from "./names.ts";

/** `stack.yml`, else `stack.yaml`, in `root` (null if neither). */
export async function stackFile(root: string, results: Result[]): Promise<string | null> {
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

export const STACK_FIELDS = {
  lang: text,
  handler: text,
  environment: environment(true),
  environment_file: list(text, "a list of file paths"),
  secrets: secretNames,
  limits: record,
  labels: environment(true),
};

/** The functions of an OpenFaaS stack file; adds their handler directories to `handlerDirs`. */
export async function fromStack(
  root: string,
  file: string,
  handlerDirs: Set<string>,
): Promise<Result[]> {
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
export async function fromStackFunction(
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
    execTimeoutMs = parseDuration(env.exec_timeout, { bare: "s" }) ?? undefined;
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
  let upstream: FunctionDefinition["upstream"];
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
  const fn: FunctionDefinition = compact({
    name,
    dir,
    root,
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
