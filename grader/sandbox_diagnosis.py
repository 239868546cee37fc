"""Why bubblewrap cannot start here, and what fixes it: the cause and the fix, in words.

`grader.sandbox.sandbox_status` probes bwrap once; when it fails, its reason (and so the
`WARNING: no OS sandbox: ...` line of every verdict and report) ends with what this module
reads from bwrap's message and the system's settings. The common causes:

* Ubuntu 23.10 and later, GitHub's `ubuntu-24.04` runners among them, restrict unprivileged
  user namespaces through AppArmor (`kernel.apparmor_restrict_unprivileged_userns=1`): bwrap,
  run by a user other than root, fails with "setting up uid map: Permission denied". The fix is
  an AppArmor profile that lets `/usr/bin/bwrap` (and only it) create user namespaces, as the
  ci/ templates install (ci/README.md, "The sandbox on hosted runners"), or running as root.
* Debian before 11 and some hardened kernels switch them off (`kernel.unprivileged_userns_clone=0`,
  "No permissions to creating new namespace"), or allow none (`user.max_user_namespaces=0`).
* Containers (Docker's default seccomp profile) refuse the namespaces bwrap needs
  ("Operation not permitted").
"""

from __future__ import annotations

from pathlib import Path

APPARMOR_SWITCH = Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
APPARMOR_FIX = ("give /usr/bin/bwrap an AppArmor profile that allows user namespaces "
                "(`userns,`; the ci/ templates install one, see ci/README.md \"The sandbox on "
                "hosted runners\"), or run grade as root")
NOT_FOUND = ("bwrap (bubblewrap) not found on PATH; fix: install bubblewrap "
             "(apt-get install bubblewrap)")
CAUSES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    # (words in bwrap's message (all of them), cause, fix)
    (("uid map", "permission denied"),
     "unprivileged user namespaces are restricted here{apparmor}",
     APPARMOR_FIX),
    (("no permissions to creat",),
     "unprivileged user namespaces are switched off (kernel.unprivileged_userns_clone=0)",
     "sysctl -w kernel.unprivileged_userns_clone=1, or run grade as root"),
    (("max_", "namespaces"),
     "no user namespaces may be created here (user.max_user_namespaces is 0 or used up)",
     "raise user.max_user_namespaces with sysctl, or run grade as root"),
    (("operation not permitted",),
     "the namespaces bubblewrap needs are refused (typically a container's seccomp profile)",
     "run the container with --security-opt seccomp=unconfined (or --privileged), or run "
     "grade outside the container"),
)


def apparmor_restricts() -> bool:
    """Whether AppArmor restricts unprivileged user namespaces on this system."""
    try:
        return APPARMOR_SWITCH.read_text().strip() == "1"
    except OSError:
        return False


def diagnose(message: str, as_root: bool, restricted: bool) -> str:
    """"cause: ...; fix: ..." for bwrap's failure `message` ("" when nothing is recognised).

    Args:
        message: bwrap's stderr.
        as_root: the grader runs as root (no user namespace is needed then).
        restricted: `apparmor_restricts()`.
    """
    text = message.lower()
    for words, cause, fix in CAUSES:
        if all(word in text for word in words):
            apparmor = (" by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1, as on "
                        "Ubuntu 24.04 and GitHub's ubuntu-24.04 runners)") if restricted else ""
            return f"cause: {cause.format(apparmor=apparmor)}; fix: {fix}"
    if restricted and not as_root:
        return (f"cause: probably AppArmor's restriction of unprivileged user namespaces "
                f"(kernel.apparmor_restrict_unprivileged_userns=1); fix: {APPARMOR_FIX}")
    return ""
