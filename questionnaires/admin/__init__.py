"""The analysts' workspace. One module per area keeps each admin small."""

from . import accounts, definitions, evidence, outbox, reports, responses, rounds, scores  # noqa: F401  (registers admins)
