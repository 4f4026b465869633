// Runs the system tools the test bed drives (ip, tc, ping, cc) and turns a
// failure into a TestbedError that names the step and carries stderr.
import { TestbedError, type TestbedStep } from "./errors.ts";

/** What a finished command produced. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Debian packages that provide the tools the test bed runs, for error messages. */
const PACKAGES: Record<string, string> = {
  ip: "iproute2",
  tc: "iproute2",
  ping: "iputils-ping",
};

/** Runs `cmd` to completion, feeding it `stdin`; kills it after `timeoutMs`. */
export async function run(
  step: TestbedStep,
  cmd: string,
  args: readonly string[],
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<Output> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args: [...args],
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      const pkg = PACKAGES[cmd];
      throw new TestbedError(
        step,
        `${cmd} is not installed${pkg ? `: apt-get install ${pkg}` : ""}`,
        "",
        { cause: error },
      );
    }
    throw error;
  }
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin)).catch(() => {});
    await writer.close().catch(() => {});
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs ?? 30_000);
  try {
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `cmd` and throws a TestbedError for `step` unless it exits 0. */
export async function runOk(
  step: TestbedStep,
  what: string,
  cmd: string,
  args: readonly string[],
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<Output> {
  const output = await run(step, cmd, args, options);
  if (output.code !== 0) {
    throw new TestbedError(
      step,
      `Cannot ${what}: \`${cmd} ${args.join(" ")}\` exited with ${output.code}`,
      output.stderr || output.stdout,
    );
  }
  return output;
}

/** Runs `ip` commands, one per line, in one process (`ip -batch`), inside `namespace` if given. */
export function ipBatch(
  step: TestbedStep,
  what: string,
  lines: readonly string[],
  options: { namespace?: string; force?: boolean } = {},
): Promise<Output> {
  const args = [
    ...(options.namespace ? ["-n", options.namespace] : []),
    ...(options.force ? ["-force"] : []),
    "-batch",
    "-",
  ];
  return runOk(step, what, "ip", args, { stdin: lines.join("\n") + "\n" });
}
