"""Form posts as the portal's page sends them (portal.js posts a FormData)."""

from __future__ import annotations

import uuid


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """The fields as multipart/form-data, as a browser encodes a FormData: the body and
    its Content-Type."""
    boundary = f"----FormBoundary{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"
