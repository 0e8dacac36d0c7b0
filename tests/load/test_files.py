"""Reading files: formats, encodings, row numbers, clear errors."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from planner._errors import InputFileError
from planner.load.files import csv_head, detect_encoding, read_layer, read_table
from planner.settings import LayerSpec
from planner.validate.columns import require_columns
from tests.conftest import MINI


def test_gbk_csv_is_detected_and_decoded():
    frame, encoding = read_table(MINI / "facilities.csv", role="facilities")
    assert encoding == "gb18030"
    assert "名称" in frame.columns
    assert frame["名称"].iloc[0] == "东村儿童之家"


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("镇,数\n白蒲镇,1\n", encoding="utf-8-sig")
    assert detect_encoding(path) == "utf-8-sig"
    frame, _ = read_table(path, role="quota")
    assert list(frame.columns) == ["_row", "镇", "数"]


def test_rows_are_numbered_as_a_person_sees_them():
    frame, _ = read_table(MINI / "quota.csv", role="quota")
    assert frame["_row"].tolist() == [2, 3, 4]


def test_codes_keep_leading_zeros(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("code\n0123\n", encoding="utf-8")
    frame, _ = read_table(path, role="children")
    assert frame["code"].iloc[0] == "0123"


def test_xlsx_table(tmp_path):
    path = tmp_path / "t.xlsx"
    pd.DataFrame({"村代码": ["320682001001"], "儿童数": [5]}).to_excel(path, index=False)
    frame, encoding = read_table(path, role="children")
    assert encoding == "xlsx"
    assert frame["儿童数"].iloc[0] == "5"


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_vector_formats(tmp_path, suffix):
    path = tmp_path / f"v{suffix}"
    gpd.GeoDataFrame({"名称": ["东村"]}, geometry=[shapely.box(120, 32, 120.1, 32.1)],
                     crs=4326).to_file(path, encoding="GBK" if suffix == ".shp" else None)
    frame, _ = read_layer(LayerSpec(name="villages", path=path))
    assert frame["名称"].iloc[0] == "东村"
    assert frame["_row"].tolist() == [1]


def test_missing_file_names_the_file_and_fix(tmp_path):
    with pytest.raises(InputFileError, match=r"nope\.csv: file not found.*planner\.toml"):
        read_table(tmp_path / "nope.csv", role="quota")


def test_missing_column_lists_present_columns():
    frame, _ = read_table(MINI / "quota.csv", role="quota")
    with pytest.raises(InputFileError, match=r"\['town'\] missing.*present: \['镇'"):
        require_columns(frame, ["town"], path=MINI / "quota.csv", role="quota")


def test_unsupported_format(tmp_path):
    path = tmp_path / "x.dwg"
    path.write_bytes(b"0")
    with pytest.raises(InputFileError, match="unsupported"):
        read_layer(LayerSpec(name="towns", path=path))


def test_the_head_of_a_tab_file_with_a_title_row_is_split_by_tabs(tmp_path):
    """A title row has no delimiter: the rows below decide (they are tab-separated)."""
    path = tmp_path / "台账.txt"
    path.write_text("如皋市儿童关爱站点台账\n名称\t类型\t经度\n东村儿童之家\t儿童之家\t120.5\n",
                    encoding="utf-16")
    assert csv_head(path) == [["如皋市儿童关爱站点台账"], ["名称", "类型", "经度"],
                              ["东村儿童之家", "儿童之家", "120.5"]]
