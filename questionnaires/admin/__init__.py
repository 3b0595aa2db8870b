"""The analysts' workspace. One module per area keeps each admin small."""

from . import definitions, responses  # noqa: F401  (registers the ModelAdmins)
