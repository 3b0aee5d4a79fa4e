import math

import pytest
from report_cases import CONVERGENCE, COST, DEPTHS

from graders.report.plots import (cost_chart, convergence_chart, depth_chart, fitted_slope, histogram_chart,
                                  plots_for_check, short_number)


def test_cost_chart_draws_each_measured_series_with_its_slope_and_a_dashed_expected_line():
    chart = cost_chart(COST)
    solid = [s for s in chart["series"] if not s["dashed"]]
    dashed = [s for s in chart["series"] if s["dashed"]]
    assert [s["label"] for s in solid] == ["elements produced (N^1.9)", "FLOPs in matrix products (N^2)",
                                           "numpy peak bytes (N^0.82)"]
    assert len(dashed) == 3 and all(s["label"] == "expected N^1" for s in dashed)
    assert [t["label"] for t in chart["x_ticks"]] == ["256", "512", "1024", "2048"]
    assert "grow like N^2" in chart["alt"] and "N^1" in chart["alt"]
    assert len(chart["table"]["rows"]) == 4


def test_a_quadratic_series_climbs_faster_than_its_expected_line_on_the_page():
    chart = cost_chart(COST)
    flops = next(s for s in chart["series"] if s["label"].startswith("FLOPs"))
    expected = chart["series"][chart["series"].index(flops) - 1]
    rise = lambda s: float(s["path"].split()[0].split(",")[1]) - float(s["path"].split()[-1].split(",")[1])
    assert rise(flops) > 1.5 * rise(expected)                        # SVG y grows downwards


def test_convergence_chart_shows_the_slope_and_the_half_power_reference():
    chart = convergence_chart(CONVERGENCE)
    assert "slope -0.01" in chart["series"][1]["label"]
    assert chart["series"][0]["dashed"] and chart["series"][0]["label"] == "expected D_random^-1/2"
    assert [t["label"] for t in chart["x_ticks"]] == ["16", "64", "256", "1024", "4096"]


def test_depth_histogram_is_drawn_beside_the_reference_as_shares():
    chart = depth_chart(DEPTHS)
    assert chart["kind"] == "bars" and len(chart["bars"]) == 2 * 5
    assert {b["index"] for b in chart["bars"]} == {0, 1}
    assert [item["label"] for item in chart["legend"]] == ["yours", "reference"]
    assert "depth 3" in chart["alt"] and "depth 2" in chart["alt"]
    assert chart["table"]["rows"][3] == ["3", "25 (50.0%)", "10 (20.0%)"]


def test_histogram_counts_every_value_once_with_the_maximum_in_the_last_bin():
    chart = histogram_chart([0, 1, 29.9, 30, 15], low=0, high=30, bins=10, title="t", x_label="x", what="scores")
    counts = [int(row[1]) for row in chart["table"]["rows"]]
    assert sum(counts) == 5 and counts[0] == 2 and counts[-1] == 2 and counts[5] == 1
    assert chart["x_ticks"][0]["label"] == "0" and chart["x_ticks"][-1]["label"] == "30"


def test_plots_come_only_from_evidence_that_supports_them():
    assert [c["kind"] for c in plots_for_check({"evidence": COST})] == ["lines"]
    assert [c["kind"] for c in plots_for_check({"evidence": DEPTHS})] == ["bars"]
    assert plots_for_check({"evidence": {"call": "f()"}}) == []
    assert plots_for_check({"evidence": {"sizes": [1], "series": {}, "expected_exponent": 1}}) == []
    assert plots_for_check({"evidence": {"d_random": [16, 64], "error": [0.1, None]}}) == []
    assert plots_for_check({"evidence": {"depth_histogram": [0, 0], "reference_depth_histogram": [1]}}) == []


@pytest.mark.parametrize("value, text", [(256, "256"), (1024, "1024"), (65536, "65.5k"), (2.5e6, "2.5M"),
                                         (0.05, "0.05"), (3e-5, "3.0e-05")])
def test_short_numbers(value, text):
    assert short_number(value) == text


def test_fitted_slope_of_a_power_law():
    assert math.isclose(fitted_slope([1, 2, 4, 8], [3, 12, 48, 192]), 2.0)
    assert fitted_slope([1], [1]) is None
