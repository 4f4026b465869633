/**
 * `deno task test`: installs what the tests need, runs them, and ends with a
 * plain "tests: N passed, N failed" line. Works on a fresh clone: Deno comes
 * from npm (`npx -y deno@<pin>`), npm packages from deno.json, and the
 * interop peers (ngtcp2-client, ngtcp2-server, chromium), the upstream
 * sandbox (bubblewrap) and the test bed's tools (iproute2, iputils-ping, gcc,
 * libc6-dev) from Debian when running as root.
 *
 * Extra arguments go to `deno test` (for example a path or `--filter`).
 *
 * @module
 */

async function run(cmd: string, args: string[]): Promise<number> {
  const { code } = await new Deno.Command(cmd, { args, stdin: "null" }).spawn().status;
  return code;
}

/**
 * Debian packages the tests drive: real HTTP/3 peers that nobody here wrote,
 * the sandbox upstreams run in (bwrap: integration/containment_upstream_test.ts
 * and watchdog/sandbox_test.ts), and the paper bench's test bed (namespaces,
 * ping, and a C compiler for the delay line), and podman for the cluster test.
 * Each is found by a file it installs.
 */
const DEBIAN = [
  { file: "gtlsclient", pkg: "ngtcp2-client" },
  { file: "gtlsserver", pkg: "ngtcp2-server" },
  { file: "chromium", pkg: "chromium" },
  { file: "bwrap", pkg: "bubblewrap" },
  { file: "ip", pkg: "iproute2" },
  { file: "ping", pkg: "iputils-ping" },
  { file: "gcc", pkg: "gcc" },
  { file: "/usr/include/stdio.h", pkg: "libc6-dev" },
  // The cluster test's engine (integration/podman_test.ts): podman with runc (crun fails on
  // these hybrid cgroups), its infra image's init, and a network with DNS for replicas.
  { file: "podman", pkg: "podman" },
  { file: "runc", pkg: "runc" },
  { file: "catatonit", pkg: "catatonit" },
  { file: "/usr/lib/podman/netavark", pkg: "netavark" },
  { file: "/usr/lib/podman/aardvark-dns", pkg: "aardvark-dns" },
];

function installed(file: string): boolean {
  const paths = file.startsWith("/")
    ? [file]
    : ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"].map((dir) => `${dir}/${file}`);
  return paths.some((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}

const missing = DEBIAN.filter((p) => !installed(p.file)).map((p) => p.pkg);
if (missing.length > 0) {
  const command = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (Deno.uid() !== 0) {
    console.error(`test: missing Debian packages; run as root: apt-get update && ${command}`);
    Deno.exit(1);
  }
  console.log(`test: installing ${missing.join(", ")} from Debian`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const apt = async (args: string[]) =>
    (await new Deno.Command("apt-get", { args, env, stdin: "null" }).spawn().status).code;
  if (
    await apt(["update"]) !== 0 ||
    await apt(["install", "-y", "--no-install-recommends", ...missing]) !== 0
  ) {
    console.error(`test: \`${command}\` failed`);
    Deno.exit(1);
  }
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
