"""Property: ID numbers, phone numbers and signed names planted in every text field of the
inputs, in every input format, are found in no output.

Hypothesis draws the personal data as bureaus write it -- mobiles with separators or
``+86``, landlines with area codes in brackets or spaced, grouped ID numbers, full-width
digits, a form's signature line (填表人：… 审核人：…) -- and plants it in every text cell of
the facilities, children, quota, town and village layers (site names, kinds, towns,
remarks, the quota's town names, boundary names) of the mini workspace written as UTF-8
CSV, GBK CSV, xlsx, GeoJSON, GeoPackage or shapefile. The run's outputs (CSV, xlsx, GPKG,
GeoJSON, HTML, JSON, logs, PNG text chunks) and its terminal lines are then searched for
each number in any spelling (digits folded, separators allowed) and each name.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from planner.cli import main
from planner.records.privacy import fold
from tests.badinputs._scan import output_texts

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"
pytestmark = pytest.mark.e2e

_FULL = str.maketrans("0123456789+-()X", "０１２３４５６７８９＋－（）Ｘ")
NAMES = ["欧阳修远", "诸葛明亮", "司马光华", "上官婉清", "慕容复生", "东方既白"]


def _mobile_styles(d: str) -> list[str]:
    a, b, c = d[:3], d[3:7], d[7:]
    return [d, f"{a}-{b}-{c}", f"{a} {b} {c}", f"+86 {a} {b} {c}", f"+86-{d}", f"0086 {d}",
            f"(+86){d}"]


def _landline_styles(area: str, local: str, ext: int) -> list[str]:
    a, b = local[:4], local[4:]
    return [f"{area}-{local}", f"{area} {a} {b}", f"({area}){local}", f"（{area}）{a} {b}",
            f"+86 {area[1:]} {a} {b}", f"{area}-{local}转{ext}"]


def _id_styles(number: str) -> list[str]:
    return [number, f"{number[:6]} {number[6:14]} {number[14:]}", number.lower()]


CONTEXTS = ["{}", "联系电话：{}", "负责人手机{}（值班）", "Tel: {}", "备注 {} 请核实"]


@st.composite
def personal_data(draw) -> tuple[list[str], list[tuple[str, str]]]:
    """(texts to plant, secrets that must never appear as (kind, value)): one mobile, one
    landline, one ID number and two names, each in every spelling, ASCII and full-width,
    in a varying context."""
    mobile = "1" + draw(st.sampled_from("3456789")) + draw(
        st.text("0123456789", min_size=9, max_size=9))
    area = draw(st.sampled_from(["0513", "025", "0512", "0518"]))
    local = draw(st.sampled_from("2345678")) + draw(st.text("0123456789", min_size=7,
                                                            max_size=7))
    born = draw(st.dates(min_value=pd.Timestamp("1950-01-01").date(),
                         max_value=pd.Timestamp("2020-12-31").date())).strftime("%Y%m%d")
    number = (draw(st.sampled_from(["320682", "320623", "320723", "110105"])) + born
              + draw(st.text("0123456789", min_size=3, max_size=3))
              + draw(st.sampled_from("0123456789X")))
    a, b = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=2, unique=True))
    spellings = (_mobile_styles(mobile) + _landline_styles(area, local, draw(
        st.integers(1, 999))) + _id_styles(number))
    spellings += [text.translate(_FULL) for text in spellings]
    texts = [draw(st.sampled_from(CONTEXTS)).format(text) for text in spellings]
    texts.append(f"填表人：{a}    审核人：{b}")
    order = draw(st.permutations(texts))
    return list(order), [("mobile", mobile), ("landline", local), ("id", number),
                         ("footer", a), ("footer", b)]


def _needle(kind: str, secret: str) -> re.Pattern:
    """A secret in any spelling of the output: folded digits, separators between them."""
    if kind == "footer":
        return re.compile(re.escape(secret))
    body = r"[\s\-()]*".join(re.escape(ch) for ch in secret.upper())
    return re.compile(rf"(?<![0-9])(?<![0-9]\.){body}(?![0-9])", re.IGNORECASE)


# ------------------------------------------------------------------- the planted workspace

def _plant_tables(ws: Path, plants: list[str]) -> dict[str, pd.DataFrame]:
    """The mini workspace's tables with a personal text in every text cell: every row's
    free text (site name, remark), and every field of the first two rows (kind, town,
    standard ...), which are then rejected -- their record in rejected.csv must be clean."""
    nxt = iter(plants * 200).__next__
    fac = pd.read_csv(MINI / "facilities.csv", dtype=str, encoding="gb18030",
                      keep_default_na=False)
    fac["名称"] = [f"{name}{nxt()}" for name in fac["名称"]]
    fac["备注"] = [nxt() for _ in range(len(fac))]
    for col in ("类型", "达标情况", "所属镇", "坐标系"):
        fac.loc[:1, col] = [nxt(), nxt()]
    children = pd.read_csv(MINI / "children.csv", dtype=str)
    children["村名"] = [nxt() for _ in range(len(children))]
    children["备注"] = [nxt() for _ in range(len(children))]
    children.loc[0, "儿童数"] = nxt()
    quota = pd.read_csv(MINI / "quota.csv", dtype=str)
    quota["说明"] = [nxt() for _ in range(len(quota))]
    quota.loc[len(quota)] = [nxt(), "1", "1", nxt()]  # a town that is someone
    return {"facilities": fac, "children": children, "quota": quota,
            "_next": nxt}


def _write_table(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    if fmt == "xlsx":
        path = path.with_suffix(".xlsx")
        frame.to_excel(path, index=False)
    else:
        encoding = "gb18030" if fmt == "csv-gbk" else "utf-8"
        path = path.with_suffix(".csv")
        frame.to_csv(path, index=False, encoding=encoding)
    return path


def _write_vector(frame: gpd.GeoDataFrame, path: Path, fmt: str) -> Path:
    suffix = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".shp"}[fmt]
    path = path.with_suffix(suffix)
    for old in path.parent.glob(path.stem + ".*"):
        old.unlink()
    frame.to_file(path, **({"encoding": "gbk"} if fmt == "shp" else {}))  # as ArcGIS does
    return path


def _workspace(root: Path, plants: list[str], fmt: str) -> Path:
    ws = root / "ws"
    shutil.copytree(MINI, ws)
    tables = _plant_tables(ws, plants)
    nxt = tables.pop("_next")
    toml = (ws / "planner.toml").read_text(encoding="utf-8")
    for name in ("children", "quota"):
        (ws / f"{name}.csv").unlink()
        written = _write_table(tables[name], ws / name,
                               fmt if fmt in ("csv-utf8", "csv-gbk", "xlsx") else "csv-utf8")
        toml = toml.replace(f'"{name}.csv"', f'"{written.name}"')
    fac = tables["facilities"]
    (ws / "facilities.csv").unlink()
    if fmt in ("csv-utf8", "csv-gbk", "xlsx"):
        written = _write_table(fac, ws / "facilities", fmt)
        toml = toml.replace('"facilities.csv"', f'"{written.name}"')
    else:  # a point layer: the coordinates become geometry, the datum stays a column
        x, y = pd.to_numeric(fac["经度"]), pd.to_numeric(fac["纬度"])
        x, y = x.where(x > y, y), y.where(x > y, x)  # a drawn layer has no swapped row
        points = gpd.GeoDataFrame(fac.drop(columns=["经度", "纬度"]),
                                  geometry=gpd.points_from_xy(x, y), crs=4326)
        written = _write_vector(points, ws / "facilities", fmt)
        toml = toml.replace('path = "facilities.csv"', f'path = "{written.name}"')
        toml = toml.replace('x = "经度"\ny = "纬度"\n', "")
    towns = gpd.read_file(MINI / "towns.geojson")
    towns["备注"] = [nxt() for _ in range(len(towns))]
    villages = gpd.read_file(MINI / "villages.gpkg")
    villages["备注"] = [nxt() for _ in range(len(villages))]
    villages.loc[0, "name"] = nxt()  # a village named after a person's phone
    vfmt = fmt if fmt in ("geojson", "gpkg", "shp") else "gpkg"
    for frame, stem, old in ((towns, "towns", "towns.geojson"),
                             (villages, "villages", "villages.gpkg")):
        (ws / old).unlink()
        written = _write_vector(frame, ws / stem, vfmt)
        toml = toml.replace(f'"{old}"', f'"{written.name}"')
    # planted values make some site rows unusable: the run is accepted as incomplete so
    # that every writer runs (the 数据不全 notice is itself checked for planted data)
    toml = toml.replace("[validate]\n", "[validate]\naccept_incomplete = true\n", 1)
    (ws / "planner.toml").write_text(toml, encoding="utf-8")
    return ws


def _everything_written(out: Path, terminal: str) -> dict[str, str]:
    texts = output_texts(out) if out.is_dir() else {}
    for png in out.glob("*.png") if out.is_dir() else []:
        with Image.open(png) as image:
            texts[png.name] = " ".join(f"{k} {v}" for k, v in image.text.items())
    texts["terminal"] = terminal
    return texts


FORMATS = ["csv-utf8", "csv-gbk", "xlsx", "geojson", "gpkg", "shp"]


@pytest.mark.slow  # whole runs of their own (two per format)
@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=personal_data())
def test_planted_personal_data_reaches_no_output(fmt, data):
    plants, secrets = data
    with tempfile.TemporaryDirectory() as tmp:
        ws = _workspace(Path(tmp), plants, fmt)
        out = ws / "o"
        err, std = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            code = main(["-v", "run", str(ws), "--out", str(out), "--accept-incomplete"])
        terminal = err.getvalue() + std.getvalue()
        assert code == 0, terminal
        texts = _everything_written(out, terminal)
        assert {"rejected.csv", "facilities.csv", "run.json", "map.html", "report.html",
                "progress.xlsx", "planner.gpkg"} <= set(texts)
        assert "[已隐去]" in texts["rejected.csv"] + texts["facilities.csv"]
        for kind, secret in secrets:
            needle = _needle(kind, secret)
            for name, text in texts.items():
                assert not needle.search(fold(text)), (fmt, kind, secret, name)
