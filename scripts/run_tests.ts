/**
 * `deno task test`: installs what the tests need, runs them, and ends with a
 * plain "tests: N passed, N failed" line. Works on a fresh clone: Deno comes
 * from npm (`npx -y deno@<pin>`), npm packages from deno.json.
 *
 * Extra arguments go to `deno test` (for example a path or `--filter`).
 *
 * @module
 */

async function run(cmd: string, args: string[]): Promise<number> {
  const { code } = await new Deno.Command(cmd, { args, stdin: "null" }).spawn().status;
  return code;
}

// npm packages, including the native QUIC binding, which only createRequire loads.
if (await run(Deno.execPath(), ["install", "--frozen"]) !== 0) {
  console.error("test: `deno install` failed: npm packages could not be installed");
  Deno.exit(1);
}

const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", ...Deno.args],
  stdin: "null",
  stdout: "piped",
  stderr: "inherit",
  env: { NO_COLOR: "1" },
}).spawn();
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
}
const { code } = await child.status;
// Deno prints "ok | 12 passed | 0 failed (3s)"; restate it in the plain form CI reads.
const summary = [...tail.matchAll(/(\d+) passed(?: \((\d+) steps\))? \| (\d+) failed/g)].at(-1);
if (summary) console.log(`tests: ${summary[1]} passed, ${summary[3]} failed`);
Deno.exit(code);
