"""How a cell that raised is reported: `CellError`, plain data built from the kernel's reply.

Every text in it comes from student code and has gone through `grader.text.printable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.text import printable

ENAME_CHARS = 200
EVALUE_CHARS = 500
TRACEBACK_LINES = 20
TRACEBACK_CHARS = 4_000


@dataclass(frozen=True)
class CellError:
    """A student cell that raised.

    Attributes:
        cell: 1-based position among *all* cells of the notebook (markdown included).
        ename: exception class name, e.g. "ZeroDivisionError".
        evalue: exception message (truncated).
        traceback: printable traceback text (no ANSI colours), truncated to a few lines.
    """

    cell: int
    ename: str
    evalue: str
    traceback: str

    def summary(self) -> str:
        """`cell 13: ZeroDivisionError: division by zero` (the contract's wording)."""
        if self.evalue:
            return f"cell {self.cell}: {self.ename}: {self.evalue}"
        return f"cell {self.cell}: {self.ename}"

    @classmethod
    def from_reply(cls, cell: int, content: dict[str, Any]) -> CellError:
        """Build from an execute_reply's content (status "error").

        All three texts come from student code: they go through `printable` (escape
        sequences and control characters gone, the name on one line), after a generous
        first cut so a huge message costs little.
        """
        trace = content.get("traceback")
        entries = ([str(line) for line in trace[-TRACEBACK_LINES:]] if isinstance(trace, list)
                   else [])
        text = printable("\n".join(entries)[-4 * TRACEBACK_CHARS:])
        text = "\n".join(text.splitlines()[-TRACEBACK_LINES:])
        ename = printable(str(content.get("ename", "Error"))[:800], multiline=False)[:ENAME_CHARS]
        evalue = printable(str(content.get("evalue", ""))[:4 * EVALUE_CHARS])[:EVALUE_CHARS]
        return cls(cell=cell, ename=ename or "Error", evalue=evalue,
                   traceback=text[-TRACEBACK_CHARS:])

    @property
    def is_memory_error(self) -> bool:
        """MemoryError (numpy's _ArrayMemoryError too) or torch's failed CPU allocation."""
        return self.ename.endswith("MemoryError") or (
            self.ename == "RuntimeError" and "can't allocate memory" in self.evalue)
