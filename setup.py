"""Build hook: the wheel carries the repository's top-level `sql/` and `reports/` inside the
package (as `pipelines/_files/`), where `ecrcost.resources` finds them. Everything else about
the package is declared in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

SHIPPED = ("sql", "reports")


class BuildWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them where they stand
        target = Path(self.build_lib) / "ecrcost" / "_files"
        for name in SHIPPED:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(name, target / name, ignore=shutil.ignore_patterns("__pycache__"))


setup(
    packages=["ecrcost", *(f"ecrcost.{name}" for name in find_packages("pipelines"))],
    package_dir={"ecrcost": "pipelines"},
    cmdclass={"build_py": BuildWithShippedFiles},
)
