"""The one version source: read by pyproject.toml ([tool.setuptools.dynamic]) and by nasim."""

__version__ = "0.1.0"


def versions() -> dict[str, str]:
    """nasim's and PyBaMM's versions, and nasim's git commit when it runs from a git checkout
    (``+dirty`` when that checkout has uncommitted changes): written into every summary/report.
    PyBaMM's version is read from its installed metadata, without importing it."""
    import subprocess
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    try:
        pybamm_version = version("pybamm")
    except PackageNotFoundError:
        pybamm_version = "not installed"
    info = {"nasim_version": __version__, "pybamm_version": pybamm_version}
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                                  text=True, timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    # only when nasim itself is the checkout (not a site-packages inside someone's repository)
    top = git("rev-parse", "--show-toplevel")
    if top is not None and Path(top).resolve() == root:
        commit = git("rev-parse", "HEAD")
        if commit:
            dirty = git("status", "--porcelain", "--untracked-files=no", "--", "nasim")
            info["git_commit"] = commit + ("+dirty" if dirty else "")
    return info
