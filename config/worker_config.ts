/**
 * The Deno configuration a function's worker runs under: the function's own
 * import map (its `deno.json`/`deno.jsonc`, else the functions directory's,
 * or an `import_map.json` there) and its `package.json` dependencies, with
 * `qfaas/chain` always resolvable and qfaas's own modules kept on qfaas's
 * import map through a scope. A pure function of the files' contents, so
 * that it can be tested with literals; `findProjectFiles` reads them.
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** An import map (WICG import maps, as deno.json holds one). */
export interface ImportMap {
  /** Bare or URL specifier → target. */
  imports: Record<string, string>;
  /** URL prefix of the referrer → its own mappings. */
  scopes: Record<string, Record<string, string>>;
}

/** A project file that shapes resolution, as read. */
export interface ProjectFile {
  /** Absolute path. */
  path: string;
  /** What it holds: deno.json(c) or import_map.json (an import map), or package.json. */
  kind: "deno" | "import-map" | "package";
  /** Its parsed content. */
  content: Record<string, unknown>;
}

/** What a worker's generated deno.json holds. */
export interface WorkerDenoConfig extends ImportMap {
  /**
   * A lockfile of its own beside the generated config: preparing writes it,
   * workers resolve exactly what was cached. The user's lockfile and qfaas's
   * (frozen) are left alone.
   */
  lock: string;
  /** npm packages come from Deno's global cache, prepared before any worker starts. */
  nodeModulesDir: "none";
  /** The user's compilerOptions (jsx and the like), if any. */
  compilerOptions?: Record<string, unknown>;
}

/** Inputs of `workerDenoConfig`. */
export interface WorkerConfigInput {
  /** The directory qfaas runs from (its own code), and its import map. */
  qfaas: { dir: string; imports: Record<string, string> };
  /** The module `qfaas/chain` names. */
  chainModule: string;
  /** The function's project files, nearest last: the functions directory's, then the function's. */
  files: readonly ProjectFile[];
  /** The lockfile's path, relative to the generated config. */
  lock: string;
}

/** A directory as the URL prefix of a scope (with its trailing slash). */
function scopeOf(dir: string): string {
  return pathToFileURL(join(dir, "/")).href.replace(/\/?$/, "/");
}

/** An import-map target: relative ones resolve against the file that holds them. */
function target(value: string, base: string): string {
  return value.startsWith("./") || value.startsWith("../") || value.startsWith("/")
    ? new URL(value, pathToFileURL(base)).href
    : value;
}

function strings(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] =>
      typeof entry[1] === "string"
    ),
  );
}

/** The import map a deno.json or import_map.json declares, targets made absolute. */
function importsOf(file: ProjectFile): ImportMap {
  const imports: Record<string, string> = {};
  for (const [key, value] of Object.entries(strings(file.content.imports))) {
    imports[target(key, file.path)] = target(value, file.path);
  }
  const scopes: ImportMap["scopes"] = {};
  const declared = file.content.scopes;
  if (typeof declared === "object" && declared !== null && !Array.isArray(declared)) {
    for (const [prefix, map] of Object.entries(declared)) {
      const own: Record<string, string> = {};
      for (const [key, value] of Object.entries(strings(map))) own[key] = target(value, file.path);
      scopes[target(prefix, file.path)] = own;
    }
  }
  return { imports, scopes };
}

/**
 * package.json dependencies as npm: mappings, the way Deno resolves them
 * (`zod` and `zod/…`); `npm:`, `jsr:` and other aliases stay as written,
 * and workspace, file and git references are left out.
 */
function packageImports(file: ProjectFile): Record<string, string> {
  const imports: Record<string, string> = {};
  const deps = {
    ...strings(file.content.devDependencies),
    ...strings(file.content.dependencies),
  };
  for (const [name, range] of Object.entries(deps)) {
    if (/^(workspace|file|link|git|github|https?):/.test(range)) continue;
    const spec = range.startsWith("npm:") ? range.slice(4) : `${name}@${range}`;
    imports[name] = `npm:${spec}`;
    imports[`${name}/`] = `npm:/${spec}/`;
  }
  return imports;
}

/** The deno.json a function's worker runs with. */
export function workerDenoConfig(input: WorkerConfigInput): WorkerDenoConfig {
  const imports: Record<string, string> = {};
  const scopes: ImportMap["scopes"] = {};
  let compilerOptions: Record<string, unknown> | undefined;
  for (const file of input.files) {
    if (file.kind === "package") {
      Object.assign(imports, packageImports(file));
      continue;
    }
    const map = importsOf(file);
    Object.assign(imports, map.imports);
    Object.assign(scopes, map.scopes);
    const options = file.content.compilerOptions;
    if (typeof options === "object" && options !== null && !Array.isArray(options)) {
      compilerOptions = { ...compilerOptions, ...options as Record<string, unknown> };
    }
  }
  imports["qfaas/chain"] ??= pathToFileURL(input.chainModule).href;
  // qfaas's own modules resolve through its own map, whatever the user's says; a user's
  // scope inside qfaas's directory (functions kept in its repository) stays more specific.
  const own: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.qfaas.imports)) {
    own[key] = target(value, join(input.qfaas.dir, "deno.json"));
  }
  scopes[scopeOf(input.qfaas.dir)] = { ...own, ...scopes[scopeOf(input.qfaas.dir)] };
  return {
    lock: input.lock,
    nodeModulesDir: "none",
    imports,
    scopes,
    ...(compilerOptions ? { compilerOptions } : {}),
  };
}

/** The config names Deno looks for, in its order. */
const DENO_CONFIGS = ["deno.json", "deno.jsonc"];

/**
 * The project files that shape a function's resolution, nearest last: those
 * of the functions directory `root`, then those of the function's `dir`.
 * JSONC comments and trailing commas are accepted in deno.jsonc.
 */
export async function findProjectFiles(root: string, dir: string): Promise<ProjectFile[]> {
  const files: ProjectFile[] = [];
  for (const at of dir === root ? [root] : [root, dir]) {
    for (const name of DENO_CONFIGS) {
      const file = await readJson(join(at, name), "deno");
      if (file) {
        files.push(file);
        break;
      }
    }
    if (at === root) {
      const map = await readJson(join(at, "import_map.json"), "import-map");
      if (map) files.push(map);
    }
    const pkg = await readJson(join(at, "package.json"), "package");
    if (pkg) files.push(pkg);
  }
  return files;
}

/** A project file's content; null when absent. Throws SyntaxError naming the file. */
async function readJson(path: string, kind: ProjectFile["kind"]): Promise<ProjectFile | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  try {
    const content = JSON.parse(path.endsWith(".jsonc") ? stripJsonc(text) : text);
    if (typeof content !== "object" || content === null || Array.isArray(content)) {
      throw new SyntaxError("expected a JSON object");
    }
    return { path, kind, content };
  } catch (error) {
    throw new SyntaxError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
}

/** JSONC to JSON: comments and trailing commas removed, strings left alone. */
export function stripJsonc(text: string): string {
  return text
    .replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_, string) => string ?? "")
    .replace(/("(?:\\.|[^"\\])*")|,(\s*[}\]])/g, (_, string, close) => string ?? close);
}
