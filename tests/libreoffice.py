"""LibreOffice, run headless, as the real spreadsheet application tests open files with."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

requires_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not on PATH: apt-get install libreoffice-calc",
)


def libreoffice_convert(source: Path, target: str, outdir: Path) -> subprocess.CompletedProcess:
    """Convert `source` with LibreOffice's `--convert-to target` into `outdir`.

    Each call gets its own user profile under `outdir`, so conversions running side by
    side never share (and lock) one. Raises CalledProcessError, with LibreOffice's output,
    when it cannot open or convert the file.
    """
    return subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{outdir / 'profile'}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
