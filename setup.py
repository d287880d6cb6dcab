"""What pyproject.toml cannot say: the repository's corpora/ folder travels in the wheel.

setuptools' `packages.find` only finds directories under the package, so the code packages are
found here and `corpora/` is mapped to the data-only package `embedcli._shipped` (never
imported; `embedcli.paths.shipped_corpora_dir()` reads it as files). Everything else about the
project is in pyproject.toml.
"""

from setuptools import find_packages, setup

# Each shipped file by name, so nothing else dropped into corpora/ (a downloaded corpus, a
# reviews_all.tsv.gz for the benchmarks) ends up in the wheel.
SHIPPED = {
    "": ["README.md"],
    "nsmc": ["ratings.txt"],
    "en": ["english-7m.txt.gz"],
    "eval": [],
    "eval.ko": [
        "README.md",
        "kor_analogy_semantic.txt",
        "kor_analogy_syntactic.txt",
        "kor_ws353.csv",
    ],
}
DATA = "embedcli._shipped"


def data_package(sub: str) -> str:
    return f"{DATA}.{sub}" if sub else DATA


setup(
    packages=[
        *find_packages(include=["embedcli", "embedcli.*"]),
        *(data_package(sub) for sub in SHIPPED),
    ],
    package_dir={DATA: "corpora"},
    package_data={data_package(sub): files for sub, files in SHIPPED.items() if files},
)
