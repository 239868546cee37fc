"""read_results treats the kernel's files as hostile: links, FIFOs, pickles, wrong dtypes, junk."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader import extract
from grader.extract import read_results

PROBE = "probe-test"


def make_out(tmp_path: Path, lines: list[Any], files: dict[str, bytes] | None = None) -> Path:
    out = tmp_path / PROBE / "out"
    out.mkdir(parents=True)
    (out / "manifest.jsonl").write_text("\n".join(l if isinstance(l, str) else json.dumps(l)
                                                  for l in lines))
    for name, data in (files or {}).items():
        (out / name).write_bytes(data)
    return out


def npy(array: Any, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def ok_line(result: Any, case: int = 0) -> dict[str, Any]:
    return {"check": "c", "case": case, "status": "ok", "error": "", "seconds": 0.1,
            "result": result}


def test_reads_nested_results(tmp_path: Path) -> None:
    tree = {"seq": [{"array": "a.npy"}, {"dict": {"k": {"array": "b.npy"}}}, {"none": True}],
            "tuple": True}
    make_out(tmp_path, [ok_line(tree)],
             {"a.npy": npy(np.arange(3.0)), "b.npy": npy(np.float64(2.0))})
    value = read_results(tmp_path, PROBE)[("c", 0)].value
    assert isinstance(value, tuple) and value[2] is None
    np.testing.assert_allclose(value[0], [0.0, 1.0, 2.0], rtol=0, atol=0)
    assert value[1]["k"].shape == ()


def test_missing_probe_dir_or_manifest_is_empty(tmp_path: Path) -> None:
    assert read_results(tmp_path, PROBE) == {}
    (tmp_path / PROBE / "out").mkdir(parents=True)
    assert read_results(tmp_path, PROBE) == {}


@pytest.mark.parametrize(("data", "fragment"), [
    (npy(np.array([1, 2], dtype=np.int64)), "not a float64 array"),
    (npy(np.array([object()], dtype=object), allow_pickle=True), "not a valid .npy"),
    (b"not numpy at all", "not a valid .npy"),
    (npy(np.zeros((1,) * 9)), "not a float64 array"),
], ids=["int-dtype", "pickled-object", "garbage", "too-many-dims"])
def test_bad_arrays_make_an_invalid_record(tmp_path: Path, data: bytes, fragment: str) -> None:
    make_out(tmp_path, [ok_line({"array": "a.npy"})], {"a.npy": data})
    record = read_results(tmp_path, PROBE)[("c", 0)]
    assert record.status == "invalid"
    assert fragment in record.error


def test_symlinked_leaf_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.npy"
    secret.write_bytes(npy(np.ones(2)))
    out = make_out(tmp_path, [ok_line({"array": "a.npy"})])
    os.symlink(secret, out / "a.npy")
    assert read_results(tmp_path, PROBE)[("c", 0)].status == "invalid"


def test_symlinked_probe_dir_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    make_out(elsewhere, [ok_line({"array": "a.npy"})], {"a.npy": npy(np.ones(2))})
    work = tmp_path / "work"
    work.mkdir()
    os.symlink(elsewhere / PROBE, work / PROBE)
    assert read_results(work, PROBE) == {}


def test_fifo_does_not_hang(tmp_path: Path) -> None:
    out = make_out(tmp_path, [ok_line({"array": "a.npy"})])
    os.mkfifo(out / "a.npy")
    assert read_results(tmp_path, PROBE)[("c", 0)].status == "invalid"


@pytest.mark.parametrize("name", ["../x.npy", "/etc/passwd", "", "..", "x\x00y"],
                         ids=["dotdot", "absolute", "empty", "parent", "nul-byte"])
def test_path_escapes_are_refused(tmp_path: Path, name: str) -> None:
    make_out(tmp_path, [ok_line({"array": name})])
    assert read_results(tmp_path, PROBE)[("c", 0)].status == "invalid"


def test_oversized_array_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_ARRAY_BYTES", 1000)
    make_out(tmp_path, [ok_line({"array": "a.npy"})], {"a.npy": npy(np.zeros(1000))})
    record = read_results(tmp_path, PROBE)[("c", 0)]
    assert record.status == "invalid" and "larger than" in record.error


def test_junk_lines_are_skipped_and_first_record_wins(tmp_path: Path) -> None:
    lines: list[Any] = [
        "not json", [1, 2], {"check": 3, "case": 0, "status": "ok"},
        {"check": "c", "case": 0, "status": "bogus"},
        {"check": "c", "case": 0, "status": "error", "error": "ValueError: x"},
        ok_line({"array": "a.npy"}),
    ]
    make_out(tmp_path, lines, {"a.npy": npy(np.ones(1))})
    records = read_results(tmp_path, PROBE)
    assert list(records) == [("c", 0)]
    assert records[("c", 0)].status == "error"


def test_a_hostile_manifest_line_never_raises(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000           # json.loads -> RecursionError
    make_out(tmp_path, [deep, ok_line({"array": "a.npy"}, case=1)], {"a.npy": npy(np.ones(2))})
    records = read_results(tmp_path, PROBE)
    assert list(records) == [("c", 1)] and records[("c", 1)].status == "ok"


def test_malformed_tree_is_invalid(tmp_path: Path) -> None:
    make_out(tmp_path, [ok_line({"weird": 1}), ok_line("x", case=1)])
    records = read_results(tmp_path, PROBE)
    assert records[("c", 0)].status == "invalid"
    assert records[("c", 1)].status == "invalid"


def test_deep_structure_is_capped(tmp_path: Path) -> None:
    tree: Any = {"none": True}
    for _ in range(50):
        tree = {"seq": [tree]}
    make_out(tmp_path, [ok_line(tree)])
    assert read_results(tmp_path, PROBE)[("c", 0)].status == "invalid"


BAD_CHARS = ("\x1b", "\x07", "\x9b", "\x9d", "\r", "\udc9b")


def npy_with_header(header: str) -> bytes:
    """A version 1.0 .npy file with a hand-written header (numpy quotes it in its error)."""
    header += " " * ((64 - (11 + len(header)) % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin-1")
            + bytes(8))


def test_strings_from_the_kernel_are_made_printable(tmp_path: Path) -> None:
    hostile = "\x1b]0;PWN\x07\x1bc\x9b2J\r\udc9b"
    tree = {"seq": [{"unsupported": f"Foo{hostile}"}, {"dict": {f"key{hostile}": {"none": True}}}]}
    header = "{'descr': '\x1b]0;x\x07\x9b2J<f8', 'fortran_order': False, 'shape': (1,), }"
    make_out(tmp_path, [
        {"check": "c", "case": 0, "status": "error", "error": f"ValueError: boom{hostile}\nline 2"},
        ok_line(tree, case=1),
        ok_line({"array": "a.npy"}, case=2),
        {"check": f"c{hostile}", "case": 3, "status": "missing"},
    ], {"a.npy": npy_with_header(header)})
    records = read_results(tmp_path, PROBE)
    error = records[("c", 0)].error
    assert error.startswith("ValueError: boom") and error.endswith("\nline 2")
    unsupported, mapping = records[("c", 1)].value
    texts = [error, str(unsupported.type_name), *mapping, records[("c", 2)].error]
    texts += [record.check_id for record in records.values()]
    assert unsupported.type_name.startswith("Foo") and next(iter(mapping)).startswith("key")
    assert records[("c", 2)].status == "invalid" and "not a valid .npy" in records[("c", 2)].error
    for text in texts:
        assert not any(bad in text for bad in BAD_CHARS), repr(text)
        assert "\n" not in text or text is error
        text.encode("utf-8")


def test_long_error_texts_stay_clipped(tmp_path: Path) -> None:
    make_out(tmp_path, [{"check": "c", "case": 0, "status": "error",
                         "error": "\x1b[31m" * 10_000 + "x" * 10_000}])
    assert read_results(tmp_path, PROBE)[("c", 0)].error == ""
    make_out_again = tmp_path / "again"
    make_out(make_out_again, [{"check": "c", "case": 0, "status": "error", "error": "x" * 10_000}])
    assert len(read_results(make_out_again, PROBE)[("c", 0)].error) == extract.ERROR_CHARS
