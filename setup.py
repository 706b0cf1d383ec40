"""Packages for setuptools; everything else is in pyproject.toml.

The bundled folders stay at the repository's top level (``parameter_sets/``, ``experiments/``,
``studies/``, ``data/``) and are shipped as package data of ``nasim._bundled.<folder>``, so an
installed nasim finds them under ``nasim/_bundled/`` (see ``nasim/params/bundle.py``). The
figure style ``nasim/plots/nasim.mplstyle`` is package data too.
"""

from setuptools import find_packages, setup

BUNDLED = ("parameter_sets", "experiments", "studies", "data")

setup(
    packages=find_packages(include=["nasim", "nasim.*"])
    + [f"nasim._bundled.{folder}" for folder in BUNDLED],
    package_dir={f"nasim._bundled.{folder}": folder for folder in BUNDLED},
    package_data={**{f"nasim._bundled.{folder}": ["**/*"] for folder in BUNDLED},
                  "nasim.plots": ["*.mplstyle"]},  # the figure style (nasim.plots.STYLE)
)
