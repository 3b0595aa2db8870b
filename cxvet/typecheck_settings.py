"""Settings for mypy's Django plugin, which imports settings to read the models.

Type checking runs no server, so it needs no secret: it reads the project's settings
as a development machine does, whatever the environment says.
"""

import os

os.environ.setdefault("DEBUG", "true")

from cxvet.settings import *  # noqa: F403
