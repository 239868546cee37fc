"""What a notebook did to the kernel's error reporting: the kernel side of the check.

Like `grader.probe_runtime`, this module's *source text* runs inside the student's kernel, in a
private module object (never in the student's namespace); it imports only the standard library.

* The grader's hidden setup cell, before the first student cell, calls `record_baseline()`: it
  keeps the objects the kernel reports errors with (the shell's callbacks, input and AST
  transformers, traceback methods, custom exception handler, `sys.excepthook`, the trace and
  profile functions).
* The grader's first cell after the student's cells calls `check(path)`: it compares the kernel
  with that baseline and writes what changed as a JSON list of short descriptions to `path`
  (`{"protocol": 1, "findings": [...]}`), never printing anything. It also removes a trace or
  profile function, so neither runs inside the grader's later cells.

Callbacks that matplotlib's inline backend and IPython's autoreload extension register are
known and not reported. The check runs in a kernel the notebook controls: it finds what a
notebook does to hide an error, not what a notebook does to hide the check itself.
"""

from __future__ import annotations

import json
import os
import sys
import types
from typing import Any

PROTOCOL = 1
EVENTS = ("post_run_cell", "post_execute")
SHELL_METHODS = ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell",
                 "run_cell_async", "_run_cell", "run_code", "run_ast_nodes", "transform_cell",
                 "transform_ast")
KERNEL_METHODS = ("do_execute", "execute_request")
TRANSFORMERS = (("cleanup_transforms", "an input transformer"),
                ("line_transforms", "an input transformer"),
                ("token_transformers", "an input transformer"))
# Callbacks of the kernel's own packages, registered when a notebook uses them.
KNOWN_CALLBACKS = (("matplotlib_inline.backend_inline", "flush_figures"),
                   ("matplotlib.pyplot", "_draw_all_if_interactive"),
                   ("IPython.extensions.autoreload", "AutoreloadMagics.post_execute_hook"))
MAX_FINDINGS = 20
NAME_CHARS = 80

_baseline: dict[str, Any] = {}


def _shell() -> Any:
    from IPython import get_ipython

    return get_ipython()


def _methods(owner: Any, names: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    """(the instance's own attribute, the class's) for each name: either replaced shows."""
    own = getattr(owner, "__dict__", {})
    return {name: (own.get(name), getattr(type(owner), name, None)) for name in names}


def _state(shell: Any) -> dict[str, Any]:
    """The objects the kernel reports errors with, as they are now."""
    manager = shell.input_transformer_manager
    callbacks = shell.events.callbacks
    return {
        "shell_type": type(shell), "events": shell.events, "callbacks_dict": callbacks,
        "callbacks": {event: list(callbacks.get(event, [])) for event in EVENTS},
        "manager": manager,
        "transformers": {name: list(getattr(manager, name, [])) for name, _ in TRANSFORMERS},
        "post": list(shell.input_transformers_post), "ast": list(shell.ast_transformers),
        "methods": _methods(shell, SHELL_METHODS),
        "kernel": _methods(getattr(shell, "kernel", None), KERNEL_METHODS),
        "custom_exceptions": shell.custom_exceptions, "excepthook": sys.excepthook,
    }


def record_baseline() -> None:
    """Remember the kernel's error reporting before any student cell runs."""
    shell = _shell()
    _baseline.clear()
    _baseline.update(_state(shell), shell=shell, trace=sys.gettrace(), profile=sys.getprofile())


def _name(obj: Any) -> str:
    """`module.qualname` of a callable (student code may make even this fail)."""
    try:
        target = getattr(obj, "__func__", obj)
        qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
        module = getattr(target, "__module__", None)
        text = f"{module}.{qualname}" if isinstance(module, str) else str(qualname)
    except Exception:  # noqa: BLE001 - whatever the object is, it is named by its type
        text = type(obj).__name__
    text = str(text)
    return text if len(text) <= NAME_CHARS else text[:NAME_CHARS - 3] + "..."


def _known(callback: Any) -> bool:
    target = getattr(callback, "__func__", callback)
    for module_name, path in KNOWN_CALLBACKS:
        obj: Any = sys.modules.get(module_name)
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if obj is not None and obj is target:
            return True
    return False


def _same(a: Any, b: Any) -> bool:
    """The same object, or the same method of the same object (a bound method is made anew on
    each access); a student's `__eq__` is never called."""
    if type(a) is types.MethodType and type(b) is types.MethodType:
        return a.__func__ is b.__func__ and a.__self__ is b.__self__
    return a is b


def _added(now: list[Any], before: list[Any]) -> list[Any]:
    """Items of `now` not in `before` (compared with `_same`)."""
    return [item for item in now if not any(_same(item, old) for old in before)]


def findings(trace: Any, profile: Any) -> list[str]:
    """What differs from the baseline, each as a short description."""
    base, shell = _baseline, _baseline["shell"]
    now = _state(shell)
    found = []
    if _shell() is not shell or now["shell_type"] is not base["shell_type"]:
        found.append("the shell was replaced")
    if now["events"] is not base["events"] or now["callbacks_dict"] is not base["callbacks_dict"]:
        found.append("the shell's event callbacks were replaced")
    for event in EVENTS:
        for callback in _added(now["callbacks"][event], base["callbacks"][event]):
            if not _known(callback):
                found.append(f"a {event} callback ({_name(callback)})")
    if now["manager"] is not base["manager"]:
        found.append("the input transformer manager was replaced")
    for name, what in TRANSFORMERS:
        for item in _added(now["transformers"][name], base["transformers"][name]):
            found.append(f"{what} ({_name(item)})")
    for item in _added(now["post"], base["post"]):
        found.append(f"an input transformer ({_name(item)})")
    for item in _added(now["ast"], base["ast"]):
        found.append(f"an AST transformer ({_name(item)})")
    for owner, key in (("shell", "methods"), ("kernel", "kernel")):
        for name, objects in now[key].items():
            if not all(_same(a, b) for a, b in zip(objects, base[key][name])):
                found.append(f"{owner}.{name} was replaced")
    if now["custom_exceptions"] is not base["custom_exceptions"] and len(now["custom_exceptions"]):
        found.append("a custom exception handler (set_custom_exc)")
    if not _same(now["excepthook"], base["excepthook"]):
        found.append("sys.excepthook was replaced")
    if not _same(trace, base["trace"]):
        found.append(f"a trace function (sys.settrace: {_name(trace)})")
    if not _same(profile, base["profile"]):
        found.append(f"a profile function (sys.setprofile: {_name(profile)})")
    return found


def check(path: str) -> None:
    """Compare the kernel with the baseline; write the findings to `path` (a new file)."""
    trace, profile = sys.gettrace(), sys.getprofile()
    sys.settrace(None)
    sys.setprofile(None)
    frame: types.FrameType | None = sys._getframe()
    while frame is not None:        # a trace function also lives on in the running frames
        frame.f_trace = None
        frame = frame.f_back
    found = findings(trace, profile)
    if len(found) > MAX_FINDINGS:
        found = found[:MAX_FINDINGS] + [f"and {len(found) - MAX_FINDINGS} more"]
    data = json.dumps({"protocol": PROTOCOL, "findings": found}).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
