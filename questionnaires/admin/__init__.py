"""The analysts' workspace. One module per area keeps each admin small."""

from . import accounts, definitions, evidence, outbox, reports, responses, scores  # noqa: F401  (registers admins)
