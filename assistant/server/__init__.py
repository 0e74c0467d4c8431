"""Serving: one process, one `Assistant`, the browser chat (Gradio, at "/") and the HTTP API (/api, /v1).

- `api.create_app(assistant)`: the FastAPI app, with the chat mounted.
- `web.build_ui(assistant)`: the Gradio Blocks of the chat.
- `render`: answers as escaped HTML; `openai_compat`: the /v1 dialect.

This module stays light (no Gradio import) so the CLI can check the bind address before loading anything.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from assistant.assistant import Assistant
from assistant.config import Settings
from assistant.local_llm import LocalModelUnavailable

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, "localhost")."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:  # any other host name may resolve to a public interface
        return False


def bind_refusal(settings: Settings, force_insecure: bool) -> str | None:
    """Why serving on `settings.host` is refused, or None when it is allowed."""
    if is_loopback(settings.host) or force_insecure:
        return None
    token = settings.auth_token.get_secret_value() if settings.auth_token is not None else ""
    if token:
        return None
    return (
        f"refusing to serve on {settings.host}: it is reachable from other machines and no access token is set. "
        "Set NEWS_ASSISTANT_AUTH_TOKEN (clients then send 'Authorization: Bearer <token>'), "
        "serve on 127.0.0.1, or pass --force-insecure to serve without a token anyway."
    )


def port_refusal(host: str, port: int) -> str | None:
    """Why `host:port` cannot be served on (another process listens there, or the address is not ours), or None.

    Checked before anything is printed or loaded: uvicorn would otherwise fail only after the startup banner.
    SO_REUSEADDR as uvicorn sets it, so a port in TIME_WAIT after a restart is not mistaken for a busy one.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot serve on {host}: the address does not resolve ({exc.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except PermissionError:
            return f"not allowed to serve on port {port} (ports below 1024 need privileges); pick another with --port"
        except OSError as exc:
            if exc.errno == 98:  # EADDRINUSE
                return f"port {port} on {host} is already in use by another process; pick another with --port"
            return f"cannot serve on {host}:{port}: {exc.strerror}"
    return None


def serve(assistant: Assistant, *, log_level: str = "info") -> None:
    """Run the app with uvicorn on settings.host:settings.port until interrupted."""
    import uvicorn

    from assistant.server.api import create_app

    settings = assistant.settings
    if assistant.backend == "reader" and not settings.llm_configured:
        # Start the local model now rather than on the first question (joining it the first time takes seconds).
        try:
            log.info("starting the reader backend's local model: %s", assistant.start_local_model())
        except LocalModelUnavailable as exc:
            log.warning("the reader backend's local model is not available, answers will be extractive: %s", exc)
    app = create_app(assistant)
    log.info("serving the chat and the API on http://%s:%d", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, server_header=False)
