"""Serve a GGUF over HTTP with xllamacpp (llama.cpp's native OpenAI-compatible server), logging every request.

    python tests/e2e/xllamacpp_server.py --model model.gguf --alias smollm2 --port 8080 --n-ctx 2048

xllamacpp has no command line of its own: `xllamacpp.Server(params)` starts llama.cpp's C++ HTTP server on a
background thread of the calling process. This script is that process, so the tests (tests/e2e/llm_server.py)
can start it, talk to it over HTTP and kill it like any server.

llama.cpp's server, as built into xllamacpp, writes no access log. So llama.cpp listens on a loopback port of
its own choosing and this script relays `--host:--port` to it (bodies byte for byte, a stream as it arrives),
printing one line per request before its response is relayed:

    access: "POST /v1/chat/completions HTTP/1.1" 200

The relay adds nothing else: statuses, headers (bar hop-by-hop ones) and bodies, a 404 for an unknown path
included, are llama.cpp's.
The script imports nothing from the project (stdlib and xllamacpp only). SIGTERM and SIGKILL end it at once;
open connections break off, as with any server that dies.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Headers that describe one connection, not the message: never relayed (RFC 9110 7.6.1).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
_log_lock = threading.Lock()


def log(line: str) -> None:
    """One write per line, so llama.cpp's own log lines (stderr, often the same file) cannot split it."""
    with _log_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def start_llama_server(args: argparse.Namespace) -> tuple[object, str, int]:
    """llama.cpp's server on 127.0.0.1 and a free port; (the server, its host, its port) once the model is loaded."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}  # a set: a model may have several names
    params.n_ctx = args.n_ctx
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the kernel picks; Server.listening_address says which
    if args.threads:
        params.cpuparams.n_threads = args.threads
        params.cpuparams_batch.n_threads = args.threads
    server = xllamacpp.Server(params)  # returns once the model is loaded and the port listens
    address = urlsplit(server.listening_address)
    assert address.hostname and address.port, server.listening_address
    return server, address.hostname, address.port


class RelayServer(ThreadingHTTPServer):
    daemon_threads = True
    upstream: tuple[str, int] | None = None  # llama.cpp's address, set once the model is loaded


class Relay(BaseHTTPRequestHandler):
    """Passes one request on to llama.cpp and its response back, printing the access line in between."""

    server: RelayServer
    protocol_version = "HTTP/1.1"  # keep-alive and chunked responses, like llama.cpp's own server

    def relay(self) -> None:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):  # no client of ours sends chunked requests
            self.send_error(411, "send Content-Length")
            return
        body = self.rfile.read(int(length)) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        assert self.server.upstream is not None, "requests are served only once llama.cpp listens"
        upstream = http.client.HTTPConnection(*self.server.upstream)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            log(f'access: "{self.command} {self.path} {self.request_version}" {response.status}')
            self.send_response_only(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            if response.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            elif response.getheader("Content-Length") is None and self.command != "HEAD":
                self.close_connection = True  # the body ends when the connection does
            self.end_headers()
            self.wfile.flush()
            if self.command == "HEAD":
                return
            while chunk := response.read1(65536):  # whatever arrived: a streamed token is sent at once
                if response.chunked:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    self.wfile.write(chunk)
                self.wfile.flush()
            if response.chunked:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (ConnectionError, http.client.HTTPException) as exc:
            # The client went away (llama.cpp sees the closed upstream and stops generating), or
            # llama.cpp broke off: pass the break on rather than pretend the response ended well.
            log(f'relay: "{self.command} {self.path}" broke off: {type(exc).__name__}')
            self.close_connection = True
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = relay

    def log_message(self, format: str, *args: object) -> None:
        pass  # the access line above is the log; http.server's own would only repeat it


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the GGUF file")
    parser.add_argument("--alias", default="local", help="the model name GET /v1/models reports")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--n-ctx", type=int, default=4096, help="context length in tokens")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: llama.cpp's choice)")
    args = parser.parse_args(argv)

    relay = RelayServer((args.host, args.port), Relay)  # bound before the model loads: a taken port fails fast
    server, host, port = start_llama_server(args)
    relay.upstream = (host, port)
    relay_host, relay_port = relay.server_address[:2]
    log(f"xllamacpp_server: llama.cpp at http://{host}:{port}, relayed at http://{relay_host}:{relay_port}")
    try:
        relay.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        relay.server_close()
        del server


if __name__ == "__main__":
    sys.exit(main())
