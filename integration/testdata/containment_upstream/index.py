# A hostile http-mode upstream for integration/containment_upstream_test.ts:
# POST / with JSON naming what to try; it tries each escape and answers with
# the outcome of each, {"ok": true, "value": ...} or {"ok": false, "error": ...}.
# Standard library only.
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_NAMES = ["QFAAS_TLS_KEY", "QFAAS_TICKET_KEY", "QFAAS_TLS_CERT", "QFAAS_GATEWAY_SESSION"]


def attempt(action):
    try:
        return {"ok": True, "value": action()}
    except Exception as error:  # every refusal is an outcome to report
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


def read(path):
    with open(path, "rb") as file:
        return file.read().decode("utf-8", "replace")


def write(path, text):
    with open(path, "w") as file:
        file.write(text)
    return path


def cmdline(pid):
    try:
        return read(f"/proc/{pid}/cmdline").replace("\0", " ").strip()
    except OSError as error:
        return f"<{type(error).__name__}>"


def processes():
    pids = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    return [{"pid": pid, "cmdline": cmdline(pid)} for pid in pids]


def probe(ask):
    return {
        "ca_key": attempt(lambda: read(ask["caKey"])),
        "home_file": attempt(lambda: read(ask["homeFile"])),
        "home_dir": attempt(lambda: os.listdir(ask["homeDir"])),
        "user_home": attempt(lambda: os.listdir(ask["userHome"])),
        "other_env": attempt(lambda: read(ask["otherEnv"])),
        "secrets_dir": attempt(lambda: os.listdir(ask["secretsDir"])),
        "secret_file": attempt(lambda: read(ask["secretFile"])),
        "other_environ": attempt(lambda: read(f"/proc/{ask['otherPid']}/environ")),
        "key_names": [name for name in KEY_NAMES if name in os.environ],
        "private_key_values": [k for k, v in os.environ.items() if "PRIVATE KEY" in v],
        "write_own_dir": attempt(lambda: write("pwned.txt", "pwned")),
        "write_other_function": attempt(lambda: write(ask["otherFunctionFile"], "pwned")),
        "write_home": attempt(lambda: write(ask["homeWriteFile"], "pwned")),
        "write_outside": attempt(lambda: write(ask["outsideFile"], "pwned")),
        "write_allowed": attempt(lambda: write(ask["allowedFile"], "written by the probe")),
        "processes": attempt(processes),
        "own_env": os.environ.get("PROBE_OWN"),
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        ask = json.loads(self.rfile.read(length) or b"{}")
        text = json.dumps(probe(ask)).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def do_GET(self):
        text = b"probe"
        self.send_response(200)
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
