// The bench split: the CLI's static module graph (what `deno cache`, an image and `deno compile`
// take) holds no module of bench/ and none of its packages, and `qfaas bench` still loads it.
import assert from "node:assert/strict";
import { BENCH_COMMANDS, BenchUnavailableError, loadBenchCommands } from "./bench.ts";

const ROOT = new URL("..", import.meta.url);
const BENCH = new URL("bench/", ROOT).href;
const BENCH_PACKAGES = ["vega", "vega-lite", "sharp"];
const SUITES = ["quic", "h3", "invoker", "gateway", "paper", "app"];

/** A module of `deno info --json`: a file (esm) or an npm package's entry. */
interface InfoModule {
  kind: string;
  specifier: string;
  npmPackage?: string;
}

async function deno(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

/** The modules of `root`'s static graph, as `deno info --json` lists them. */
async function staticGraph(root: string): Promise<InfoModule[]> {
  const info = await deno("info", "--json", root);
  assert.equal(info.code, 0, info.stderr);
  return JSON.parse(info.stdout).modules;
}

/** `npm package name@version(_peers)` → its name. */
function packageName(npmPackage: string): string {
  return npmPackage.slice(0, npmPackage.indexOf("@", 1));
}

for (const root of ["main.ts", "cli/mod.ts"]) {
  Deno.test(`bench split: ${root}'s static graph holds no bench module and no vega, vega-lite or sharp`, async () => {
    const modules = await staticGraph(root);
    assert.ok(modules.length > 0);
    const bench = modules.filter((m) => m.specifier.startsWith(BENCH)).map((m) => m.specifier);
    assert.deepEqual(bench, [], "modules of bench/ in the graph");
    const packages = modules.flatMap((m) => m.npmPackage ? [packageName(m.npmPackage)] : []);
    assert.deepEqual(packages.filter((p) => BENCH_PACKAGES.includes(p)), []);
  });
}

Deno.test("bench split: the CLI's graph holds cli/bench.ts (the test above looks at the right graph)", async () => {
  const modules = await staticGraph("cli/mod.ts");
  assert.ok(modules.some((m) => m.specifier === new URL("cli/bench.ts", ROOT).href));
});

Deno.test("bench split: `qfaas bench --help` loads the bench and lists its subcommands", async () => {
  const run = await deno("run", "-A", "main.ts", "bench", "--help");
  assert.equal(run.code, 0, run.stderr);
  for (const suite of SUITES) assert.match(run.stdout, new RegExp(`^\\s+${suite}\\s`, "m"), suite);
});

Deno.test("bench split: loadBenchCommands() gives the bench's subcommands", async () => {
  const commands = await loadBenchCommands(BENCH_COMMANDS);
  assert.deepEqual(Object.keys(commands), SUITES);
});

Deno.test("bench split: a bench that cannot be loaded is a BenchUnavailableError naming it", async () => {
  const missing = new URL("../bench/no_such_commands.ts", import.meta.url);
  const error = await loadBenchCommands(missing).then(
    () => assert.fail("loaded a module that does not exist"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof BenchUnavailableError);
  assert.match(error.message, /cannot load the benchmarks from .*bench\/no_such_commands\.ts: /);
  const notBench = new URL("./version.ts", import.meta.url);
  await assert.rejects(loadBenchCommands(notBench), /it exports no benchCommands/);
});
