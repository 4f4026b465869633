// Real HTTP/3 peers that nobody here wrote: ngtcp2's examples (Debian
// ngtcp2-client, ngtcp2-server) and headless Chromium. scripts/run_tests.ts
// installs them; a test that cannot find one fails and says what to install.

/** Absolute path of a Debian-installed binary, or a clear error. */
export function binary(name: string, pkg: string): string {
  for (const dir of ["/usr/bin", "/usr/sbin", "/usr/local/bin"]) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch { /* not here */ }
  }
  throw new Error(
    `${name} is not installed: apt-get install ${pkg} (scripts/run_tests.ts does this as root)`,
  );
}

/** Runs a command to completion with a timeout; returns its exit code and output. */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const output = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A directory that is removed when disposed. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "qfaas-interop-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Writes a file readable by its owner only (keys, certificates). */
export async function writePrivate(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
}

/** Finds a free UDP port on loopback for a peer that cannot pick its own. */
export function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

/**
 * ngtcp2's gtlsclient against 127.0.0.1:`port`, keeping its session and
 * transport parameters in `dir` so that a later run resumes (in 0-RTT) and
 * downloading each response into `dir` under its path's last segment.
 * `post` sends that body as a POST.
 */
export function gtlsclient(
  dir: string,
  port: number,
): (url: string, post?: string) => Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = binary("gtlsclient", "ngtcp2-client");
  return async (url, post) => {
    const method: string[] = [];
    if (post !== undefined) {
      await Deno.writeTextFile(`${dir}/post.body`, post);
      method.push("-m", "POST", "-d", `${dir}/post.body`);
    }
    return await run(bin, [
      ...method,
      "--exit-on-all-streams-close",
      "--no-quic-dump",
      "--no-http-dump",
      `--session-file=${dir}/session.pem`,
      `--tp-file=${dir}/tp.pem`,
      `--download=${dir}`,
      "127.0.0.1",
      String(port),
      url,
    ]);
  };
}

/**
 * Loads `url` in headless Chromium with HTTP/3 forced for its origin and the
 * server's certificate pinned by SPKI hash; returns the text of the page's
 * `<div id="out">` once scripts ran (the page writes its result there).
 */
export async function chromiumResult(url: string, spki: string): Promise<string> {
  const chromium = binary("chromium", "chromium");
  await using profile = await tempDir();
  const origin = new URL(url).host;
  const result = await run(chromium, [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile.path}`,
    `--origin-to-force-quic-on=${origin}`,
    "--host-resolver-rules=MAP localhost 127.0.0.1",
    `--ignore-certificate-errors-spki-list=${spki}`,
    "--virtual-time-budget=15000",
    "--dump-dom",
    url,
  ], { timeoutMs: 60_000 });
  const out = /<div id="out">([^<]*)<\/div>/.exec(result.stdout)?.[1];
  if (out === undefined) {
    throw new Error(`No result in the page; chromium said: ${result.stderr.slice(-1500)}`);
  }
  return out;
}
