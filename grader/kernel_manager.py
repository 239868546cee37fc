"""The kernel manager of a sandboxed kernel: our Python, our command, unix sockets, capped messages."""

from __future__ import annotations

import os
import sys
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from grader import cgroup
from grader.errors import KernelError
from grader.sandbox import SandboxSpec, kernel_command

MAX_SOCKET_PATH = 100           # unix socket paths are limited to 107 bytes
SEND_TIMEOUT_MS = 10_000


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is always our Python, started by `kernel_command(spec)`.

    The kernelspec of the notebook (and of the machine) is ignored; ZMQ runs over unix sockets
    in `spec.kernel_dir`, which works across the sandbox's network namespace. Messages larger
    than `max_message_bytes` are dropped by ZMQ before they reach the grader's memory.
    """

    def __init__(self, spec: SandboxSpec, max_message_bytes: int,
                 group: cgroup.Group | None = None, **kwargs: Any) -> None:
        if len(str(spec.kernel_dir / "k-99")) > MAX_SOCKET_PATH:
            raise KernelError(f"work dir path too long for the kernel's unix sockets: {spec.workdir}")
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, max_message_bytes)
        context.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)     # a send never blocks forever
        super().__init__(transport="ipc", ip=str(spec.kernel_dir / "k"), context=context,
                         connection_file=str(spec.kernel_dir / "kernel.json"),
                         kernel_name="python3", **kwargs)
        self.sandbox_spec = spec
        self.group = group
        self._fixed_kernel_spec = KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (grader)", language="python", env={}, metadata={})

    @property
    def kernel_spec(self) -> KernelSpec:
        return self._fixed_kernel_spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        inner = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
                 *(extra_arguments or [])]
        return cgroup.join_command(self.group, kernel_command(self.sandbox_spec, inner))

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.sandbox_spec.uid is not None:
            os.chown(self.connection_file, self.sandbox_spec.uid, self.sandbox_spec.uid)

    def client(self, **kwargs: Any) -> Any:
        return super().client(context=self.context, **kwargs)

    @property
    def launcher_pid(self) -> int | None:
        """pid of the launched process (prlimit/bwrap or the kernel itself), once started."""
        pid = getattr(self.provisioner, "pid", None)
        return pid if isinstance(pid, int) else None
