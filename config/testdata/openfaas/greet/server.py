# The greet function: an of-watchdog http-mode server on the port of upstream_url.
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        data = os.environ.get("GREETING", "hello").encode()
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


upstream = urlsplit(os.environ["upstream_url"])
ThreadingHTTPServer((upstream.hostname, upstream.port), Handler).serve_forever()
