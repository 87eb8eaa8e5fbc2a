"""The ceiling: a hello-world Flask app under waitress, served exactly like
chatbot-web (same thread count and server options) but doing no work, so
the webhook's numbers can be read as a fraction of what the stack allows.

    python bench/hello.py --port 8099 --threads 4
"""
from __future__ import annotations

import argparse

from flask import Flask, Response, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/webhook")
    def receive():
        request.get_data(cache=False)       # read the body, as the webhook does
        return Response("OK\n", status=200, mimetype="text/plain")

    @app.get("/webhook")
    def ping():
        return Response("OK\n", status=200, mimetype="text/plain")

    return app


def main(argv: list[str] | None = None) -> None:
    import waitress
    p = argparse.ArgumentParser(description="Serve a hello-world Flask app with waitress (the ceiling).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--threads", type=int, default=4, help="waitress threads (chatbot-web's [web] threads)")
    a = p.parse_args(argv)
    # The same logging as chatbot-web (chatbot.log.setup): waitress's per-request
    # "Task queue depth" warnings are not written, so only the application differs.
    import logging
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # The same options as chatbot.commands.web, so only the application differs.
    server = waitress.create_server(create_app(), host=a.host, port=a.port, threads=a.threads,
                                    channel_timeout=30, connection_limit=500, ident="hello")
    print(f"hello listening on http://{a.host}:{a.port} with {a.threads} threads", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
