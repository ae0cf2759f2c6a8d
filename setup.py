"""Everything else about the build is in pyproject.toml. This adds one step: the Teams app
files (``teams/``) and the commented department config (``config/``) live at the top of the
repository, outside any package, so the build copies them into ``bot/assets/`` and a plain
``pip install .`` carries them (``bot/assets.py`` finds either copy)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ASSETS = {
    "teams": ("manifest.json", "color.png", "outline.png"),
    "config": ("department.example.toml",),
}


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        for folder, names in ASSETS.items():
            target = Path(self.build_lib) / "bot" / "assets" / folder
            target.mkdir(parents=True, exist_ok=True)
            for name in names:
                shutil.copyfile(HERE / folder / name, target / name)


setup(cmdclass={"build_py": BuildWithAssets})
