"""Serving: one process, one `Assistant`, the browser chat (Gradio, at "/") and the HTTP API (/api, /v1).

- `api.create_app(assistant)`: the FastAPI app, with the chat mounted.
- `web.build_ui(assistant)`: the Gradio Blocks of the chat.
- `render`: answers as escaped HTML; `openai_compat`: the /v1 dialect.

This module stays light (no Gradio import) so the CLI can check the bind address before loading anything.
"""

from __future__ import annotations

import ipaddress
import logging

from assistant.assistant import Assistant
from assistant.config import Settings

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


def serve(assistant: Assistant, *, log_level: str = "info") -> None:
    """Run the app with uvicorn on settings.host:settings.port until interrupted."""
    import uvicorn

    from assistant.server.api import create_app

    settings = assistant.settings
    app = create_app(assistant)
    log.info("serving the chat and the API on http://%s:%d", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, server_header=False)
