# hello-python: an OpenFaaS-style http-mode function, standard library only.
# It listens where the watchdog says (PORT) and can call other functions
# through gateway_url (plain HTTP on loopback; the watchdog carries it over QUIC).
import json
import os
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def respond(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/call/"):
            # /call/echo: call another function through the gateway.
            target = os.environ["gateway_url"] + "/function/" + self.path[len("/call/"):]
            with urllib.request.urlopen(target, data=body.encode() or None) as answer:
                text = answer.read()
        else:
            text = json.dumps({"hello": "from python", "method": self.command,
                               "path": self.path, "body": body}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = do_PUT = do_DELETE = respond

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8082"))), Handler).serve_forever()
