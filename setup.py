"""The build step pyproject.toml cannot declare: the bundled suites, kept in the top-level
``suites/`` folder, are copied into the package as ``swapkit/suites/`` so that a wheel has
them (``swapkit.config.bundled`` finds them there; a checkout uses ``suites/`` itself)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SUITES = Path(__file__).resolve().parent / "suites"


class BuildWithSuites(build_py):
    """``build_py`` that also copies ``suites/*.yaml`` to ``swapkit/suites/``."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "swapkit" / "suites"
        self.mkpath(str(target))
        for suite in sorted(SUITES.glob("*.yaml")):
            self.copy_file(str(suite), str(target / suite.name))


setup(cmdclass={"build_py": BuildWithSuites})
