"""Checking that a run wrote nothing outside the folders it may write, and ran nothing.

    guard = WriteGuard(tmp_path, allowed=[warehouse_dir])   # before the run
    ... run ...
    guard.assert_untouched()                                  # after

Everything under `root` that is not under an allowed folder must be exactly as it was
(same paths, sizes and link targets); `root`'s parent must list the same entries; and no
file named PWNED may exist under root's parent, or in the working folder, the project,
/tmp or the home folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.hostile.payloads import PWNED

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def tree_state(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple]:
    """path -> (kind, size or link target) of everything under `root`, never following links."""
    state: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not any((here / d) == s for s in skip)]
        for name in [*dirs, *files]:
            path = here / name
            if path.is_symlink():
                state[str(path)] = ("link", os.readlink(path))
            elif path.is_dir():
                state[str(path)] = ("dir",)
            else:
                state[str(path)] = ("file", path.lstat().st_size)
    return state


def pwned_files(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        for folder, _, files in os.walk(root, followlinks=False):
            found += [Path(folder) / name for name in files if name.startswith(PWNED)]
    return found


class WriteGuard:
    def __init__(self, root: Path, allowed: list[Path]):
        self.root = root
        self.allowed = tuple(allowed)
        self.before = tree_state(root, self.allowed)
        self.siblings = sorted(p.name for p in root.parent.iterdir())

    def assert_untouched(self) -> None:
        after = tree_state(self.root, self.allowed)
        changed = sorted(set(after.items()) ^ set(self.before.items()))
        assert not changed, f"written outside {[str(a) for a in self.allowed]}: {changed[:10]}"
        assert sorted(p.name for p in self.root.parent.iterdir()) == self.siblings
        assert not pwned_files(self.root.parent)
        # Other programs share these folders: only the payloads' own file is looked for.
        for folder in (Path.cwd(), PROJECT_ROOT, Path("/tmp"), Path.home()):
            assert not list(folder.glob(f"{PWNED}*")), f"a payload ran: {folder}/{PWNED}"
