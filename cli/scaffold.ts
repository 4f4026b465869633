/**
 * `qfaas new NAME [--lang deno|python|node]`: a new function directory that
 * `qfaas dev` runs as it is. A Deno function is a module; a Python or Node
 * function is its own HTTP server, run the OpenFaaS of-watchdog way (http
 * mode): the worker starts `fprocess` with the function's environment, in
 * which `upstream_url` says where the server must listen.
 *
 * @module
 */
import { join } from "node:path";
import { DEFAULT_UPSTREAM_URL, FUNCTION_NAME } from "../config/mod.ts";

/** The languages `qfaas new` has templates for. */
export type ScaffoldLang = "deno" | "python" | "node";

/** The languages `qfaas new` has templates for, in order (the first is the default). */
export const SCAFFOLD_LANGS: readonly ScaffoldLang[] = ["deno", "python", "node"];

/**
 * Creates `parentDir/name/` holding a working `lang` function; returns the
 * created directory and files. Throws an Error if the name is invalid or the
 * directory exists.
 *
 * @example
 * ```ts
 * const created = await scaffold("functions", "hello", "deno");
 * // ["functions/hello", "functions/hello/main.ts", "functions/hello/qfaas.json"]
 * ```
 */
export async function scaffold(
  parentDir: string,
  name: string,
  lang: ScaffoldLang,
): Promise<string[]> {
  if (!FUNCTION_NAME.test(name)) {
    throw new Error(
      `Cannot create function "${name}": a name is lowercase letters, digits and "-" (not first or last), at most 63 characters`,
    );
  }
  if (!SCAFFOLD_LANGS.includes(lang)) {
    throw new TypeError(
      `Cannot create function "${name}": the language must be ${
        SCAFFOLD_LANGS.join(", ")
      }, received "${lang}"`,
    );
  }
  const dir = join(parentDir, name);
  await Deno.mkdir(parentDir, { recursive: true });
  try {
    await Deno.mkdir(dir);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new Error(`Cannot create function "${name}": ${dir} already exists`);
    }
    throw error;
  }
  const files = templates(name, lang, DEFAULT_UPSTREAM_URL);
  const created = [dir];
  for (const [file, content] of Object.entries(files)) {
    const path = join(dir, file);
    await Deno.writeTextFile(path, content, { createNew: true });
    created.push(path);
  }
  return created;
}

/** The files of a new function, by file name. */
function templates(name: string, lang: ScaffoldLang, upstreamUrl: string): Record<string, string> {
  const config = (settings: Record<string, string>) => JSON.stringify(settings, null, 2) + "\n";
  switch (lang) {
    case "deno":
      return { "main.ts": denoMain(name), "qfaas.json": config({ runtime: "deno" }) };
    case "python":
      return {
        "index.py": pythonIndex(name),
        "qfaas.json": config({
          runtime: "python",
          fprocess: "python3 index.py",
          upstream_url: upstreamUrl,
        }),
      };
    case "node":
      return {
        "index.js": nodeIndex(name),
        "qfaas.json": config({
          runtime: "node",
          fprocess: "node index.js",
          upstream_url: upstreamUrl,
        }),
      };
  }
}

function denoMain(name: string): string {
  return `// A QFaaS function. \`qfaas dev\` runs it in its own worker process; the
// default export answers each request, like a Deno.serve handler.
const NAME = "${name}";

export default {
  fetch(req: Request): Response {
    const { pathname } = new URL(req.url);
    const body = {
      message: \`Hello from \${NAME}\`,
      method: req.method,
      path: pathname,
    };
    return new Response(JSON.stringify(body, null, 2) + "\\n", {
      headers: { "content-type": "application/json" },
    });
  },
};
`;
}

function pythonIndex(name: string): string {
  const port = "8082"; // when run by hand, outside qfaas dev
  return `"""The "${name}" function: an HTTP server, standard library only.

qfaas dev runs it like OpenFaaS's of-watchdog in http mode: it starts this
script (fprocess) with the function's environment and forwards each request
to upstream_url, which is also where the server listens.
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

UPSTREAM = urlsplit(os.environ.get("upstream_url", "http://127.0.0.1:${port}"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def respond(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        answer = {
            "message": "Hello from ${name}",
            "method": self.command,
            "path": urlsplit(self.path).path,
            "body": body,
        }
        data = (json.dumps(answer, indent=2) + "\\n").encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = respond

    def log_message(self, format, *args):
        pass  # one line per request is the dev server's job


if __name__ == "__main__":
    address = (UPSTREAM.hostname or "127.0.0.1", UPSTREAM.port or ${port})
    ThreadingHTTPServer(address, Handler).serve_forever()
`;
}

function nodeIndex(name: string): string {
  const port = "8082"; // when run by hand, outside qfaas dev
  return `// The "${name}" function: an HTTP server on node:http.
// qfaas dev runs it like OpenFaaS's of-watchdog in http mode: it starts this
// script (fprocess) with the function's environment and forwards each request
// to upstream_url, which is also where the server listens.
const http = require("node:http");

const upstream = new URL(process.env.upstream_url || "http://127.0.0.1:${port}");

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const answer = {
        message: "Hello from ${name}",
        method: req.method,
        path: new URL(req.url, "http://localhost").pathname,
        body: Buffer.concat(chunks).toString(),
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answer, null, 2) + "\\n");
    });
  })
  .listen(Number(upstream.port) || ${port}, upstream.hostname || "127.0.0.1");
`;
}
