"""Bad values of corpus options exit 2 like every other bad option value, before any work."""

from __future__ import annotations

import pytest

from embedcli.cli.app import app
from tests.conftest import assert_one_error
from tests.processes import file_hashes


@pytest.fixture
def reviews(tmp_path):
    path = tmp_path / "reviews.tsv"
    path.write_text("id\tdocument\tlabel\n1\t정말 재밌는 영화\t1\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("option", "needle"),
    [
        (["--text-column", "0"], "--text-column 0 is not a column: columns count from 1"),
        (["--text-column", "-1"], "--text-column -1 is not a column"),
        (["--text-column", "2.5"], "--text-column 2.5 is not a column"),
        (["--corpus-format", "xlsx"], "Unknown --corpus-format 'xlsx': use one of auto, tsv"),
        (["--corpus-format", "TSV"], "Unknown --corpus-format 'TSV'"),
    ],
)
@pytest.mark.parametrize("command", ["tokenize", "train"])
def test_bad_corpus_option_values_exit_2(runner, tmp_path, reviews, command, option, needle):
    before = file_hashes(tmp_path)
    result = runner.invoke(app, [command, "-c", str(reviews), *option])
    assert_one_error(result, needle, code=2)
    assert file_hashes(tmp_path) == before  # no cache, no model, no lock left
