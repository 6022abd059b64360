"""The Debian packages ringlab builds, tests, measures and reports with (README.md says
which does what), and their installation."""

from __future__ import annotations

import os
import shutil
import subprocess

PACKAGES = [
    "g++", "cmake", "ninja-build", "pkg-config",
    "libabsl-dev", "libgtest-dev", "libbenchmark-dev", "libbenchmark-tools",
    "relacy-dev", "clang-14", "libclang-rt-14-dev",
    "libboost-dev", "libck-dev", "libconcurrentqueue-dev", "libreaderwriterqueue-dev",
    "libatomic-queue-dev", "libxenium-dev", "libdpdk-dev",
    "python3-matplotlib", "python3-scipy",
    "valgrind", "binutils",
]


class InstallFailed(Exception):
    """apt-get could not install the packages (no root, no sudo, or apt-get failed)."""


def missing() -> list[str]:
    """The packages dpkg does not report as installed."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\n", *PACKAGES],
                         capture_output=True, text=True, check=False).stdout
    installed = {line.split()[0] for line in out.splitlines()
                 if line.endswith("install ok installed")}
    return [p for p in PACKAGES if p not in installed]


def install(packages: list[str]) -> None:
    """apt-get install, as root or through sudo."""
    prefix = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise InstallFailed("need root or sudo to install: " + " ".join(packages))
        prefix = ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]):
        if subprocess.run(prefix + cmd, env=env, check=False).returncode != 0:
            raise InstallFailed(f"`{' '.join(prefix + cmd[:2])}` failed")
