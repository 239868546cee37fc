"""Records of a function probed the way the kernel probes it, without a kernel.

`records_of(rubric, check_id, fn, seed)` plans the check's cases from the rubric's generator
(the reference values included), sends them through the plan document (JSON and float64 arrays,
decoded again with `grader.probe_runtime.decode_case`), calls `fn` through the check's driver,
and turns each result into a `CallRecord` with `plain`, as `grader.extract` would return it.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np

from grader import probe_runtime as rt
from grader.extract import CallRecord
from grader.probe import PlannedCall, ProbePlan, plan_document, reference_value
from grader.rubric import CheckSpec, Rubric

Records = dict[tuple[str, int], CallRecord]


def records_of(rubric: Rubric, check_id: str, fn: Callable[..., Any],
               seed: int) -> tuple[CheckSpec, tuple[PlannedCall, ...], Records]:
    """The check, its planned calls, and `fn`'s record for each (an "error" record when it
    raises)."""
    check = next(c for c in rubric.checks if c.id == check_id)
    assert check.inputs_fn is not None
    cases = list(check.inputs_fn(np.random.default_rng(seed)))
    calls = tuple(PlannedCall(check_id, i, case, reference_value(check, case))
                  for i, case in enumerate(cases))
    document, files = plan_document(ProbePlan(rubric.id, calls, "probe-test"), rubric)
    document = json.loads(json.dumps(document))
    records: Records = {}
    for entry, call in zip(document["entries"], calls):
        args, kwargs = rt.decode_case(entry, lambda name: files[name].copy())
        try:
            with np.errstate(all="ignore"):
                value = rt.plain(rt.DRIVERS[check.driver](fn, *args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - a raising implementation is an error record
            records[check_id, call.index] = CallRecord(check_id, call.index, "error", repr(exc))
            continue
        records[check_id, call.index] = CallRecord(check_id, call.index, "ok", "", value)
    return check, calls, records
