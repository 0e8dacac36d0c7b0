"""The budget-curve chart is drawn from run.json's curve."""

from __future__ import annotations

from PIL import Image

from planner.report.budgetchart import budget_chart


def test_chart_is_written(tmp_path) -> None:
    curve = [{"kits": 50, "yuan": 52000.0, "risk_covered_share": 0.02, "status": "optimal",
              "gap": 0.0},
             {"kits": 100, "yuan": 104000.0, "risk_covered_share": 0.04,
              "status": "node_limit", "gap": 0.001},
             {"kits": 900, "yuan": 990000.0, "risk_covered_share": 1.0,
              "status": "full_coverage", "gap": 0.0}]
    chosen = {"budget_yuan": 100000.0, "spend_yuan": 99000.0, "risk_covered_share": 0.038}
    path = budget_chart(curve, tmp_path / "budget_curve.png", title="测试县", chosen=chosen)
    img = Image.open(path)
    assert img.size == (1200, 750)
    # something other than white was drawn
    assert len(img.convert("L").getcolors(maxcolors=1 << 16)) > 10
