"""A partner's webhook endpoint for tests: an HTTP server on 127.0.0.1 that verifies each
delivery with the ``standardwebhooks`` library, as a partner would."""

from __future__ import annotations

import http.server
import threading

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    """A partner's endpoint on 127.0.0.1 that verifies each delivery's signature."""

    def __init__(self):
        self.secret = ""
        self.status = 204
        self.headers: dict[str, str] = {}
        self.received: list[dict] = []
        self.refused: list[str] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                except WebhookVerificationError as exc:
                    receiver.refused.append(str(exc))
                    self.send_response(400)
                else:
                    receiver.received.append({"id": self.headers["webhook-id"], "payload": payload})
                    self.send_response(receiver.status)
                    for name, value in receiver.headers.items():
                        self.send_header(name, value)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
