"""The analysts' workspace. One module per area keeps each admin small."""

from . import definitions, evidence, outbox, reports, responses, scores  # noqa: F401  (registers admins)
