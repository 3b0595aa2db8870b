"""gunicorn's logger with private link tokens redacted (`--logger-class`, README.md).

gunicorn writes its access log (when `--access-logfile` turns it on: each request line,
the Referer, which a portal page sends for links within the site, and any header the
format names) and its error log ("Error handling request /portal/...") through its own
loggers, outside Django's LOGGING. This class puts the same PortalTokenFilter on both,
so every line it writes comes out with `/portal/[redacted]/`.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]  # no stubs installed

from .redaction import PortalTokenFilter


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)  # also run again when gunicorn reloads its configuration
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, PortalTokenFilter) for f in log.filters):
                log.addFilter(PortalTokenFilter())
