/**
 * `qfaas image [dir]`: one OCI image with Deno, qfaas and a functions
 * directory, its dependencies cached, for the manifests `qfaas deploy`
 * renders (issue 16). Built from a root filesystem made here, not from a
 * base image (no registry is needed): the Deno binary, exactly the shared
 * libraries `ldd` lists for it and for the QUIC binding, qfaas's sources
 * (no tests, no docs), the functions (without `.secrets` and `.env` files:
 * those go in Secrets), and a DENO_DIR filled by `deno cache` for qfaas and
 * for every function. The tar is imported with `podman import`; elsewhere the
 * same steps run `FROM` a Deno image (docs/deploy.md).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { discoverFunctions } from "../config/mod.ts";
import { prepareFunction } from "../invoker/mod.ts";
import { IMAGE_PATHS } from "./contract.ts";

/**
 * qfaas's own directories a pod runs. Not bench/ (a workspace member, which
 * `qfaas bench` alone loads, at run time) nor the example apps.
 */
const SOURCES = [
  "chain",
  "cli",
  "config",
  "deploy",
  "gateway",
  "h3",
  "invoker",
  "pki",
  "quic",
  "store",
  "watchdog",
];
const SOURCE_FILES = ["main.ts", "deno.lock"];

/**
 * qfaas's deno.json as the image holds it: without `workspace`, whose members
 * (bench/, the example apps) the image leaves out, so that Deno neither warns
 * about them nor installs their packages (vega, vega-lite, sharp).
 */
export function imageDenoJson(text: string): string {
  const { workspace: _members, ...config } = JSON.parse(text);
  return JSON.stringify(config, null, 2) + "\n";
}

const PROJECT = new URL("..", import.meta.url).pathname;

/** The user pods run as (no /etc/passwd needed): the manifests' runAsUser. */
export const IMAGE_USER = 65532;

/** Options of `buildImage`. */
export interface ImageOptions {
  /** The functions directory. */
  functions: string;
  /** The image's name. Default localhost/qfaas:latest. */
  tag?: string;
  /** Where to keep the root filesystem's tar; default a temporary file, removed. */
  tar?: string;
  /** Import into podman (default true); false: build the tar only. */
  import?: boolean;
  /** Told each step, for the CLI. */
  onStep?: (line: string) => void;
}

/** What `buildImage` made. */
export interface BuiltImage {
  /** Its name (when imported). */
  tag: string;
  /** The root filesystem's tar size, bytes. */
  tarBytes: number;
  /** The image's size as podman reports it, bytes (when imported). */
  imageBytes: number | null;
  /** Wall-clock time of the whole build, seconds. */
  seconds: number;
  /** Per step, seconds. */
  steps: Record<string, number>;
}

/** A failed build step, with the command's output. */
export class ImageError extends Error {
  /** `step` failed; `detail` is what the command said. */
  constructor(readonly step: string, readonly detail: string) {
    super(`Cannot build the image: ${step} failed${detail ? `:\n${detail}` : ""}`);
    this.name = "ImageError";
  }
}

async function run(
  step: string,
  command: string,
  args: string[],
  env?: Record<string, string>,
): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, { args, env, stdin: "null" }).output();
  } catch (error) {
    throw new ImageError(step, `${command}: ${(error as Error).message}`);
  }
  const text = new TextDecoder();
  if (!output.success) {
    throw new ImageError(step, (text.decode(output.stderr) + text.decode(output.stdout)).trim());
  }
  return text.decode(output.stdout);
}

/** Every shared library (and the loader) `ldd` lists for `files`. */
async function sharedLibraries(files: string[]): Promise<string[]> {
  const paths = new Set<string>();
  for (const file of files) {
    const listed = await run(`ldd ${file}`, "ldd", [file]);
    for (const match of listed.matchAll(/(\/[^\s)]+)/g)) paths.add(match[1]);
  }
  return [...paths];
}

/** Copies `from` to `to` (a directory, recursively), skipping what `skip` says. */
async function copyTree(from: string, to: string, skip: (path: string) => boolean): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const entry of Deno.readDir(from)) {
      const path = join(from, entry.name);
      if (!skip(path)) await copyTree(path, join(to, entry.name), skip);
    }
  } else if (info.isFile) {
    await Deno.mkdir(dirname(to), { recursive: true });
    await Deno.copyFile(from, to);
  }
}

/** Builds the image for the functions in `options.functions`. */
export async function buildImage(options: ImageOptions): Promise<BuiltImage> {
  const started = performance.now();
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    options.onStep?.(name);
    const at = performance.now();
    try {
      return await work();
    } finally {
      steps[name] = (performance.now() - at) / 1000;
    }
  };
  const tag = options.tag ?? "localhost/qfaas:latest";
  const root = await Deno.makeTempDir({ prefix: "qfaas-image-" });
  const tar = options.tar ?? `${root}.tar`;
  const inside = (path: string) => join(root, path);
  try {
    const { functions, problems } = await discoverFunctions(options.functions);
    if (problems.length > 0) {
      throw new ImageError(
        "reading the functions",
        problems.map((p) => p.message).join("\n"),
      );
    }
    const upstreams = functions.filter((f) => !f.fn.module).map((f) => f.fn.name);
    if (upstreams.length > 0) {
      options.onStep?.(
        `! ${upstreams.join(", ")}: their runtime (python3, node) is not in this image; ` +
          "build FROM an image that has it (docs/deploy.md)",
      );
    }

    await step("runtime: deno and its libraries", async () => {
      const deno = Deno.execPath();
      await Deno.mkdir(dirname(inside(IMAGE_PATHS.deno)), { recursive: true });
      await Deno.copyFile(deno, inside(IMAGE_PATHS.deno));
      const binding = await findQuicBinding();
      for (const library of await sharedLibraries([deno, ...(binding ? [binding] : [])])) {
        await Deno.mkdir(dirname(inside(library)), { recursive: true });
        await Deno.copyFile(library, inside(library)); // follows links: the file under the link's name
      }
      await Deno.mkdir(inside("tmp"), { recursive: true });
      await Deno.chmod(inside("tmp"), 0o1777);
      await Deno.mkdir(inside("etc"), { recursive: true });
    });

    await step("qfaas sources", async () => {
      const skip = (path: string) =>
        path.endsWith("_test.ts") || basename(path) === "testdata" || basename(path) === "results";
      for (const dir of SOURCES) {
        await copyTree(join(PROJECT, dir), inside(join(IMAGE_PATHS.qfaas, dir)), skip);
      }
      for (const file of SOURCE_FILES) {
        await Deno.copyFile(join(PROJECT, file), inside(join(IMAGE_PATHS.qfaas, file)));
      }
      const config = await Deno.readTextFile(join(PROJECT, "deno.json"));
      await Deno.writeTextFile(inside(join(IMAGE_PATHS.qfaas, "deno.json")), imageDenoJson(config));
    });

    await step("functions (no .secrets, no .env)", async () => {
      const skip = (path: string) => {
        const name = basename(path);
        return name === ".secrets" || name === ".env" || name.startsWith(".env.") ||
          name === "node_modules" || name === ".git";
      };
      await copyTree(options.functions, inside(IMAGE_PATHS.functions), skip);
    });

    await step("dependencies: deno cache for qfaas and every function", async () => {
      const denoDir = inside(IMAGE_PATHS.denoDir);
      const env = { ...Deno.env.toObject(), DENO_DIR: denoDir };
      const qfaas = inside(IMAGE_PATHS.qfaas);
      await run("caching qfaas's modules", Deno.execPath(), [
        "cache",
        `--config=${join(qfaas, "deno.json")}`,
        join(qfaas, "main.ts"),
        join(qfaas, "watchdog", "main.ts"),
      ], env);
      // Each function's graph, as the pod will prepare it: from the copy in the image.
      const copied = await discoverFunctions(inside(IMAGE_PATHS.functions));
      const prepared = await Deno.makeTempDir({ prefix: "qfaas-image-prepared-" });
      try {
        for (const { fn } of copied.functions) {
          if (fn.module) await prepareFunction(fn, prepared, { denoDir });
        }
      } finally {
        await Deno.remove(prepared, { recursive: true });
      }
    });

    const tarBytes = await step("tar", async () => {
      await run("tar", "tar", [
        "-C",
        root,
        "--owner",
        String(IMAGE_USER),
        "--group",
        String(IMAGE_USER),
        "-cf",
        tar,
        ".",
      ]);
      return (await Deno.stat(tar)).size;
    });

    let imageBytes: number | null = null;
    if (options.import !== false) {
      imageBytes = await step("podman import", async () => {
        await run("podman import", "podman", [
          "import",
          "--change",
          `ENV PATH=${dirname(IMAGE_PATHS.deno)}`,
          "--change",
          `ENV DENO_DIR=${IMAGE_PATHS.denoDir}`,
          "--change",
          "ENV XDG_CACHE_HOME=/tmp/qfaas-cache",
          "--change",
          "ENV DENO_NO_UPDATE_CHECK=1",
          "--change",
          `USER ${IMAGE_USER}:${IMAGE_USER}`,
          "--change",
          `WORKDIR ${IMAGE_PATHS.qfaas}`,
          "--change",
          `CMD ["${IMAGE_PATHS.deno}", "run", "-A", "${IMAGE_PATHS.qfaas}/main.ts", "version"]`,
          tar,
          tag,
        ]);
        return Number((await run("podman image inspect", "podman", [
          "image",
          "inspect",
          "--format",
          "{{.Size}}",
          tag,
        ])).trim());
      });
    }
    return { tag, tarBytes, imageBytes, seconds: (performance.now() - started) / 1000, steps };
  } finally {
    await Deno.remove(root, { recursive: true });
    if (!options.tar) await removeIfThere(tar);
  }
}

/** Removes `path` if it exists (a build that failed before its tar has none). */
async function removeIfThere(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** The QUIC binding's native file, as qfaas's node_modules holds it (for its libraries). */
async function findQuicBinding(): Promise<string | null> {
  const scope = join(PROJECT, "node_modules", ".deno");
  try {
    for await (const entry of Deno.readDir(scope)) {
      if (!entry.name.startsWith("@matrixai+quic-linux-x64@")) continue;
      const file = join(
        scope,
        entry.name,
        "node_modules",
        "@matrixai",
        "quic-linux-x64",
        "node.napi.node",
      );
      await Deno.stat(file);
      return file;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return null;
}
