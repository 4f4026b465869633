/**
 * `qfaas dev` as a user runs it, for the integration tests: a project in a
 * temporary directory outside the repository, and the CLI started as a
 * process of its own (through Deno, or through the `qfaas` command on PATH),
 * with the URLs it printed.
 *
 * @module
 */
import { join } from "node:path";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const QFAAS = new URL("../bin/qfaas.mjs", import.meta.url).pathname;

/** A temporary project: `files` (path under `functions/` → text); removed on dispose. */
export interface Project extends AsyncDisposable {
  /** The project directory (the cwd of the CLI). */
  dir: string;
  /** Its functions directory. */
  functions: string;
  /** An environment with a cache of its own, so no test touches the real one. */
  env: Record<string, string>;
}

/** Writes a project with `files` under `functions/` in a new temporary directory. */
export async function project(files: Record<string, string>): Promise<Project> {
  const dir = await Deno.makeTempDir({ prefix: "qfaas_project_" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, "functions", path, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, "functions", path), text);
  }
  return {
    dir,
    functions: join(dir, "functions"),
    env: { XDG_CACHE_HOME: join(dir, "cache"), NO_COLOR: "1" },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** How to run the CLI: `deno run main.ts`, or the `qfaas` command (bin/qfaas.mjs under Node). */
export type Launcher = "deno" | "command";

/** The argv that runs `qfaas ARGS` with `launcher`. */
export function qfaasArgv(launcher: Launcher, args: string[]): [string, string[]] {
  return launcher === "deno"
    ? [Deno.execPath(), ["run", "-A", MAIN, ...args]]
    : ["node", [QFAAS, ...args]];
}

/** A running `qfaas dev`. */
export interface DevProcess extends AsyncDisposable {
  /** Base URL of HTTP/1.1. */
  http: string;
  /** Base URL of HTTPS (HTTP/3 on the same UDP port). */
  https: string;
  /** Its HTTPS and HTTP/3 port. */
  httpsPort: number;
  /** The dev CA it printed (PEM path). */
  caPath: string;
  /** Its process. */
  child: Deno.ChildProcess;
  /** Everything it printed on stdout so far, line by line. */
  lines: string[];
  /** Waits for a printed line matching `pattern` (up to 30 s). */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** SIGTERM, then waits for it to exit; its exit code. */
  stop(): Promise<number>;
}

/** Options of `startDev`. */
export interface StartDevOptions {
  /** Extra arguments after `dev <functions>` (ports default to 0, --no-watch is always on). */
  args?: string[];
  /** How to run the CLI. Default "deno". */
  launcher?: Launcher;
  /** Extra environment (e.g. QFAAS_DENO for the command launcher). */
  env?: Record<string, string>;
  /** HTTPS and HTTP/3 port. Default 0 (any). */
  httpsPort?: number;
}

/** Starts `qfaas dev ./functions` in `project` and resolves once it printed its URLs. */
export async function startDev(
  project: Project,
  options: StartDevOptions = {},
): Promise<DevProcess> {
  const [program, args] = qfaasArgv(options.launcher ?? "deno", [
    "dev",
    "./functions",
    "--port",
    "0",
    "--https-port",
    String(options.httpsPort ?? 0),
    "--no-watch",
    ...(options.args ?? []),
  ]);
  const child = new Deno.Command(program, {
    args,
    cwd: project.dir,
    env: { ...project.env, ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  let exited = false;
  const status = child.status.then((s) => (exited = true, s.code));
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
  })();
  const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
    for (let i = 0; i < 600; i++) {
      for (const line of lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (exited) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`qfaas dev printed no line ${pattern}:\n${lines.join("\n")}`);
  };
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* it has exited already */ }
    const code = await status;
    await reading;
    return code;
  };
  try {
    const http = (await waitFor(/^\s+HTTP\/1\.1\s+(http:\S+)/))[1];
    const https = (await waitFor(/^\s+HTTPS\s+(https:\S+)\s+HTTP\/3 on UDP port \d+/))[1];
    const caPath = (await waitFor(/^\s+CA\s+(\S+\.pem)/))[1];
    return {
      http,
      https,
      httpsPort: Number(new URL(https).port),
      caPath,
      child,
      lines,
      waitFor,
      stop,
      [Symbol.asyncDispose]: async () => void await stop(),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs `qfaas invoke ARGS` to the end; fails with its output if it does not succeed. */
export async function invoke(args: string[], env: Record<string, string>): Promise<string> {
  const [program, argv] = qfaasArgv("deno", ["invoke", ...args]);
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args: argv,
    env,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  const out = decoder.decode(stdout);
  if (code !== 0) {
    throw new Error(`qfaas invoke ${args.join(" ")} failed:\n${out}${decoder.decode(stderr)}`);
  }
  return out;
}
