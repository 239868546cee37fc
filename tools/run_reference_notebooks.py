"""Execute the solved reference notebooks and write them back normalised, outputs included.

    python tools/run_reference_notebooks.py              # run every reference/notebooks/*.ipynb
    python tools/run_reference_notebooks.py adam xor     # run only these
    python tools/run_reference_notebooks.py --check      # exit 1 if one is not normalised
                                                         # (starts no kernel)

`reference/notebooks/<id>.ipynb` is the source a tutor edits in Jupyter. After an edit, run this
tool: it executes the notebook top to bottom in a fresh kernel (plain nbclient: the notebook is
trusted) and writes it back with its outputs, figures included, since the solved notebook is what
students read afterwards. `grade release` clears the outputs of the handout.

Normalised means: nbformat 4.5 with the fixed kernelspec and `language_info` of
`NOTEBOOK_METADATA`; cell metadata reduced to `CELL_METADATA_KEPT` (no execution timings, no
`scrolled`/`collapsed`); every cell has a valid id, unique in the notebook (a missing or repeated
one becomes `<id>-NN`, NN its 1-based position); JSON as nbformat writes it, plus a final newline.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "reference" / "notebooks"
CELL_TIMEOUT = 600          # seconds per cell
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
CELL_METADATA_KEPT = ("tags", "editable", "deletable", "slideshow")
VALID_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def normalise(nb: NotebookNode, prefix: str) -> NotebookNode:
    """A normalised copy of `nb` (see the module docstring); `prefix` names generated cell ids.

    Args:
        nb: a v4 notebook.
        prefix: the notebook's id ("adam"), the stem of generated cell ids ("adam-07").

    Returns:
        A new notebook; outputs and execution counts are kept as they are.
    """
    out = copy.deepcopy(nb)
    out.nbformat, out.nbformat_minor = 4, 5
    out.metadata = NotebookNode(copy.deepcopy(NOTEBOOK_METADATA))
    seen: set[str] = set()
    for position, cell in enumerate(out.cells, start=1):
        cell.metadata = NotebookNode({k: cell.metadata[k] for k in CELL_METADATA_KEPT
                                      if k in cell.get("metadata", {})})
        cell_id = str(cell.get("id", ""))
        if not VALID_ID.match(cell_id) or cell_id in seen:
            cell_id = f"{prefix}-{position:02d}"
        cell.id = cell_id
        seen.add(cell_id)
        for output in cell.get("outputs", []):
            output.pop("transient", None)
    return out


def render(nb: NotebookNode) -> str:
    """The notebook's file text: valid nbformat JSON and a final newline."""
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def execute(nb: NotebookNode) -> NotebookNode:
    """Run every cell in a fresh python3 kernel (in an empty temporary folder); stop at an error."""
    from nbclient import NotebookClient

    ran = copy.deepcopy(nb)
    with tempfile.TemporaryDirectory(prefix="reference-run-") as folder:
        NotebookClient(ran, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": folder}}).execute()
    return ran


def is_normalised(path: Path) -> bool:
    """True when the file is exactly what `normalise` and `render` make of it."""
    text = path.read_text(encoding="utf-8")
    return render(normalise(nbformat.reads(text, as_version=4), path.stem)) == text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook ids to run (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="only check that the notebooks are normalised (starts no kernel)")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / f"{n}.ipynb" for n in args.names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.check:
        stale = [p for p in paths if not is_normalised(p)]
        for path in stale:
            print(f"not normalised: {path.relative_to(ROOT)} "
                  "(run tools/run_reference_notebooks.py)",
                  file=sys.stderr)
        return 1 if stale else 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        path.write_text(render(normalise(execute(nb), path.stem)), encoding="utf-8")
        print(f"ran and wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
