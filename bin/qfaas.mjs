#!/usr/bin/env node
/**
 * The `qfaas` command on PATH (`npm install --prefix bin && npm install -g ./bin`
 * from a clone): runs the clone's main.ts with the pinned Deno, from any
 * directory, with the caller's arguments, standard streams and exit code.
 *
 * Deno is, in order: $QFAAS_DENO; the `deno` npm package installed beside
 * this file; else `npx -y deno@<pin>` (cached by npm after the first run).
 * The first run installs qfaas's own npm packages (`deno install --frozen`).
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DENO_VERSION = "2.9.6";
const here = dirname(realpathSync(fileURLToPath(import.meta.url)));
const repo = dirname(here);

/** The command that runs Deno: [program, ...its leading arguments]. */
function denoCommand() {
  if (process.env.QFAAS_DENO) return [process.env.QFAAS_DENO];
  const local = join(
    here,
    "node_modules",
    "deno",
    process.platform === "win32" ? "deno.exe" : "deno",
  );
  if (existsSync(local)) return [local];
  return ["npx", "-y", `deno@${DENO_VERSION}`];
}

const [program, ...lead] = denoCommand();

if (!existsSync(join(repo, "node_modules", ".deno"))) {
  process.stderr.write("qfaas: installing its npm packages (once)\n");
  const install = spawnSync(program, [...lead, "install", "--frozen"], {
    cwd: repo,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (install.status !== 0) {
    process.stderr.write(
      `qfaas: \`deno install --frozen\` failed in ${repo}\n`,
    );
    process.exit(1);
  }
}

const child = spawn(
  program,
  [
    ...lead,
    "run",
    "-A",
    `--config=${join(repo, "deno.json")}`,
    join(repo, "main.ts"),
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
// Ctrl-C reaches the child from the terminal itself; forward what is sent to this process alone.
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  if (!signal) process.exit(code ?? 1);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
});
child.on("error", (error) => {
  process.stderr.write(
    `qfaas: cannot run Deno (${program}): ${error.message}\n`,
  );
  process.exit(1);
});
