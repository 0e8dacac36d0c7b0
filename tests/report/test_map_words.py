"""What the map's popups say about a site: the provincial standard (达省标 / 未达省标) only
for care homes, and an upgrade of an existing care home titled 拟升级, not 拟新建."""

from __future__ import annotations

import pytest

from planner.glossary import KINDS, STANDARDS
from planner.report.webmap import layers_from_result, write_map
from tests.report.test_webmap import _POPUPS, _browser, _open


@pytest.mark.browser
def test_standard_only_for_care_homes_and_upgrades_titled_as_such(demo_result, tmp_path):
    from dataclasses import replace

    # the sites and proposals (every popup is opened: the waters and kits are left out)
    layers = replace(layers_from_result(demo_result), water=None, kits=None,
                     proposed_kits=None, patrol_routes=None, roads=None)
    page = write_map(layers, tmp_path / "map.html", title="如皋市")
    with _browser(tmp_path) as driver:
        _open(driver, page)
        seen = driver.execute_script(_POPUPS)
    popups = [p for p in seen["popups"] if p]
    standards = tuple(STANDARDS.values())
    kinds = {p.split("\n")[1].split("\t")[1]: p for p in popups
             if len(p.split("\n")) > 1 and p.split("\n")[1].startswith("类型\t")}
    assert KINDS["care_home"][0] in kinds and KINDS["care_point"][0] in kinds
    for popup in popups:
        lines = popup.split("\n")
        kind = lines[1].split("\t")[1] if len(lines) > 1 and "\t" in lines[1] else ""
        said = any(line.startswith("标准\t") and line.split("\t")[1] in standards
                   for line in lines)
        assert said == (kind == KINDS["care_home"][0]), popup
    proposals = demo_result.proposals
    upgrades = int((proposals["method"] == "upgrade").sum())
    new_homes = int(((proposals["method"] != "upgrade")
                     & (proposals["kind"] == "care_home")).sum())
    headings = [p.split("\n")[0] for p in popups]
    assert upgrades and headings.count(f"拟升级{KINDS['care_home'][0]}") == upgrades
    assert headings.count(f"拟新建{KINDS['care_home'][0]}") == new_homes
