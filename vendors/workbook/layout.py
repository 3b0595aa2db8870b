"""What the workbook writer and reader agree on: sheets, columns and the signed key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing

ANSWERS = "Answers"
INSTRUCTIONS = "Instructions"
LISTS = "Lists"
KEY_SHEET = "Key"
# The signed key sits in this cell of the hidden, protected Key sheet.
KEY_CELL = "A1"

# Columns of the Answers sheet (1-based), header in row 1, one question (or grid cell)
# per row from row 2.
COLUMNS = (
    ("key", "Key", 4),
    ("number", "No.", 7),
    ("section", "Section", 22),
    ("question", "Question", 60),
    ("required", "Required", 10),
    ("answer", "Answer", 40),
    ("amount", "Amount (grid limits)", 14),
    ("comment", "Comment", 40),
    ("only_if", "Answer only if", 36),
    ("documents", "Documents", 24),
    ("help", "Help", 60),
)
COLUMN = {name: index for index, (name, _, _) in enumerate(COLUMNS, start=1)}
FIRST_ROW = 2
MULTIPLE_SEPARATOR = ";"

SIGNING_SALT = "vendors.workbook"
GRID_ROW = "/"  # a grid cell's row key: "question/row/column"


def grid_row_key(question: str, row: str, column: str) -> str:
    return f"{question}{GRID_ROW}{row}{GRID_ROW}{column}"


@dataclass(frozen=True)
class WorkbookKey:
    """What the signed key says: which response and version the workbook was written
    for, the key of each row in order, and each answer's revision and fingerprint
    (vendors.forms.answer_fingerprint) at download time."""

    response_id: int
    version_id: int
    rows: tuple[str, ...]
    answers: dict[str, tuple[int, str]]

    def sign(self) -> str:
        data = {
            "response": self.response_id,
            "version": self.version_id,
            "rows": list(self.rows),
            "answers": {k: list(v) for k, v in self.answers.items()},
        }
        return signing.dumps(data, salt=SIGNING_SALT, compress=True)

    @classmethod
    def unsign(cls, text: str) -> WorkbookKey:
        """The key, or raise signing.BadSignature (or ValueError when it is malformed)."""
        data: Any = signing.loads(text, salt=SIGNING_SALT)
        try:
            return cls(
                response_id=int(data["response"]),
                version_id=int(data["version"]),
                rows=tuple(str(r) for r in data["rows"]),
                answers={str(k): (int(v[0]), str(v[1])) for k, v in data["answers"].items()},
            )
        except (KeyError, TypeError, IndexError, AttributeError) as exc:
            raise ValueError("malformed workbook key") from exc
