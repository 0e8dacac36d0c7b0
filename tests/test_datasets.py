"""The bundled data: the demo workspace, the bureau example and the reference files found in
a checkout, else inside the installed package; unknown names refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner import datasets

ROOT = Path(__file__).resolve().parent.parent


def test_in_a_checkout_everything_is_in_data():
    assert datasets.demo() == ROOT / "data"
    assert (datasets.demo() / "planner.toml").is_file()
    for name, file in datasets.REFERENCE_FILES.items():
        path = datasets.reference(name)
        assert path == ROOT / "data" / "reference" / file and path.stat().st_size > 0
    for name in datasets.EXAMPLES:
        assert (datasets.example(name) / "planner.toml").is_file()


def test_unknown_names_are_refused():
    with pytest.raises(KeyError, match=r"unknown reference file 'towns'; one of \['divisions'"):
        datasets.reference("towns")
    with pytest.raises(KeyError, match=r"unknown example 'rugao'; one of \['bureau'\]"):
        datasets.example("rugao")


def test_the_packaged_copy_when_there_is_no_checkout(tmp_path, monkeypatch):
    packaged = tmp_path / "site-packages" / "planner" / "_data"
    shutil.copytree(ROOT / "data" / "reference", packaged / "reference")
    (packaged / "planner.toml").write_text('[workspace]\nname = "如皋市"\n', encoding="utf-8")
    monkeypatch.setattr(datasets, "_CHECKOUT", tmp_path / "no_checkout")
    monkeypatch.setattr(datasets, "_PACKAGED", packaged)
    assert datasets.demo() == packaged
    assert datasets.reference("divisions") == packaged / "reference" / "jiangsu_divisions.csv"
    monkeypatch.setattr(datasets, "_PACKAGED", tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="the bundled demo is missing"):
        datasets.demo()
