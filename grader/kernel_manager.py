"""The manager of a sandboxed kernel: our Python, our command, unix sockets, capped messages."""

from __future__ import annotations

import os
import sys
import time
from queue import Empty
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from grader import cgroup
from grader.errors import KernelError
from grader.sandbox import kernel_command
from grader.sandbox_spec import SandboxSpec

MAX_SOCKET_PATH = 100           # unix socket paths are limited to 107 bytes
READY_POLL = 0.5                # seconds between kernel_info requests while the kernel starts
IOPUB_QUIET = 0.02              # seconds of IOPub silence that end the start-up flush
SEND_TIMEOUT_MS = 10_000
# What `python -m ipykernel_launcher` does, except that ipykernel's debugger support is left
# out: importing debugpy at start costs about 0.5 s of CPU per kernel, and nothing ever debugs
# a graded kernel. `import debugpy` is halted only while the kernel initialises (so the kernel
# has no debugger); afterwards student code may import it as usual.
BOOT = (
    "import sys\n"
    "if sys.path[0] == '':\n"
    "    del sys.path[0]\n"
    "sys.modules['debugpy'] = None\n"
    "from ipykernel.kernelapp import IPKernelApp\n"
    "app = IPKernelApp.instance()\n"
    "app.initialize()\n"
    "del sys.modules['debugpy']\n"
    "app.start()\n"
)


class SandboxKernelClient(AsyncKernelClient):
    """The client of a sandboxed kernel: ready as soon as the kernel answers.

    jupyter_client's `wait_for_ready` ends with a flush of IOPub that waits for 0.2 s of
    silence, on every kernel start; nothing stale can be there that matters (nbclient reads
    only the messages of the cell it runs), so a short quiet period is enough.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Until the kernel answers kernel_info and IOPub is connected (RuntimeError if it dies
        or `timeout` seconds pass)."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=READY_POLL)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:    # the reply's "busy"/"idle" status on IOPub: it is connected
                    await self.iopub_channel.get_msg(timeout=READY_POLL)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=IOPUB_QUIET)
            except Empty:
                return


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is always our Python, started by `kernel_command(spec)`.

    The kernelspec of the notebook (and of the machine) is ignored; ZMQ runs over unix sockets
    in `spec.kernel_dir`, which works across the sandbox's network namespace. Messages larger
    than `max_message_bytes` are dropped by ZMQ before they reach the grader's memory.
    """

    def __init__(self, spec: SandboxSpec, max_message_bytes: int,
                 group: cgroup.Group | None = None, **kwargs: Any) -> None:
        if len(str(spec.kernel_dir / "k-99")) > MAX_SOCKET_PATH:
            raise KernelError(
                f"work dir path too long for the kernel's unix sockets: {spec.workdir}")
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, max_message_bytes)
        context.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)     # a send never blocks forever
        super().__init__(transport="ipc", ip=str(spec.kernel_dir / "k"), context=context,
                         connection_file=str(spec.kernel_dir / "kernel.json"),
                         kernel_name="python3", **kwargs)
        self.sandbox_spec = spec
        self.group = group
        self.client_factory = SandboxKernelClient
        self._fixed_kernel_spec = KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3 (grader)", language="python", env={}, metadata={})

    @property
    def kernel_spec(self) -> KernelSpec:
        return self._fixed_kernel_spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        inner = [sys.executable, "-c", BOOT, "-f", self.connection_file,
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
