"""The budget chart: every row of the budget table a point on a linear 万元 axis, labelled
with its kits and share, the solver's result in words."""

from __future__ import annotations

from PIL import Image

from planner.report import budgetchart
from planner.report.budgetchart import budget_chart, point_label
from planner.report.water_figures import PLAN, SURE, YUAN, budget_table
from tests.report.test_water_figures import WATER


def test_chart_points_labels_and_linear_axes(tmp_path, monkeypatch) -> None:
    drawn = []
    save = budgetchart.save_png

    def keep(fig, path, **kw):
        drawn.append(fig)
        return save(fig, path, **kw)

    monkeypatch.setattr(budgetchart, "save_png", keep)
    path = budget_chart(WATER, tmp_path / "budget_curve.png", title="测试县")
    img = Image.open(path)
    assert img.size == (1500, 945)
    assert len(img.convert("L").getcolors(maxcolors=1 << 16)) > 10  # something was drawn
    # the labels, read back from the file: one per row of the budget table
    table = budget_table(WATER)
    lines = img.text["Labels"].splitlines()
    assert len(lines) == len(table)
    for line, (_, row) in zip(lines, table.iterrows(), strict=True):
        plan, label, yuan, sure = line.split("｜")
        assert plan == row[PLAN] and label == point_label(row) and sure == row[SURE]
        assert float(yuan) == row[YUAN]
    assert lines[1].startswith("本年预算 ¥30,000：按风险效益最优｜新建 20 + 修复 9 套，21.3%｜")
    # yuan in 万元 on linear axes, every point labelled (no 10^1 / 10^2 ticks)
    (fig,) = drawn
    plots = [ax for ax in fig.axes if ax.get_xlabel()]
    assert len(plots) == 2 and all(ax.get_xscale() == "linear" for ax in plots)
    assert all(ax.get_xlabel() == "费用（万元）" for ax in plots)
    texts = [t.get_text() for ax in plots for t in ax.texts]
    assert {point_label(r) for _, r in table.iterrows()} <= set(texts)
    ticks = [t.get_text() for ax in plots for t in ax.get_xticklabels()]
    assert not any("^" in t or "10^" in t for t in ticks)
    box = "".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "与最优差距 ≤ 0.10%" in box and "费用与最省差距 ≤ 0.03%" in box
