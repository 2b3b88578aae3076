"""Security headers on every HTTP response: what the browser may load, run and frame.

The console and the demo page load scripts, styles and images from this origin only
(no inline script or style anywhere: the widget styles its shadow root with a
constructed stylesheet) and talk only to it (``connect-src 'self'`` covers ``ws:``/
``wss:`` to the same host). JSON and other non-page responses allow nothing at all. The
OpenAPI pages (``/docs``, ``/redoc``, when enabled) load FastAPI's viewer from its CDN
with an inline bootstrap script, so they get a policy of their own. No page may be
framed (clickjacking), content types are never sniffed, and the Referer leaves only for
this origin (which the CSRF check may read, and no third party needs).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

_PAGES = ("/console", "/demo")
_DOCS = ("/docs", "/redoc")
_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def content_security_policy(path: str) -> str:
    if path in _PAGES:
        return PAGE_POLICY
    if path == "/docs/oauth2-redirect" or path in _DOCS:
        return DOCS_POLICY
    return NOTHING_POLICY


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response (a header the
    route set itself is kept); ``hsts`` when the public URL is https."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = dict(_ALWAYS)
        if hsts:
            self.headers["Strict-Transport-Security"] = "max-age=31536000"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = content_security_policy(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", policy)
                if policy == PAGE_POLICY:
                    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)
