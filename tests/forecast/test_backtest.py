"""The backtest tool: its JSON, walk-forward honesty, holes in the files, plain-Python running."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import date, timedelta
import json
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

from custom_components.delestage.forecast.model import Parameters
from tools import tempo_backtest as tool

from .synthetic import seasons, write_files

REPO = Path(__file__).resolve().parents[2]
HORIZON_KEYS = {
    "days",
    "accuracy",
    "red_precision",
    "red_recall",
    "white_precision",
    "white_recall",
    "brier",
    "reliability",
}
# Three synthetic seasons; the tested period is the third winter.
DAYS = seasons(date(2016, 9, 1), date(2019, 2, 28))
START, END = date(2018, 12, 1), date(2019, 1, 31)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tempo")
    write_files(path, DAYS, holes=True)
    return path


@pytest.fixture(scope="module")
def run(folder: Path) -> tuple[dict[str, Any], str]:
    """One run of the tool as a user types it (stdout JSON, stderr report)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.tempo_backtest",
            "--data",
            str(folder),
            "--start",
            START.isoformat(),
            "--end",
            END.isoformat(),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout), result.stderr


def test_prints_the_designed_json(run: tuple[dict[str, Any], str], folder: Path) -> None:
    output, _ = run
    colours = tool.read_data(folder)
    scored = sum(
        1
        for n in range((END - START).days + 1)
        if colours.days.get(START + timedelta(days=n), tool.DayData()).colour is not None
    )
    assert scored < (END - START).days + 1  # rows are missing from the files
    assert set(output) == {"model", "always_blue", "rule_2016", "climatology"}
    for scores in output.values():
        assert set(scores) == {str(h) for h in range(1, 8)}
        for horizon in scores.values():
            assert set(horizon) == HORIZON_KEYS
            assert horizon["days"] == scored
            bins = horizon["reliability"]
            assert [(b["from"], b["to"]) for b in bins] == [
                (round(i / 10, 1), round((i + 1) / 10, 1)) for i in range(10)
            ]
            assert sum(b["forecasts"] for b in bins) == 2 * horizon["days"]


def test_baselines_score_what_they_are(run: tuple[dict[str, Any], str], folder: Path) -> None:
    output, _ = run
    known = tool.read_data(folder).days
    period = [
        DAYS[day].colour
        for n in range((END - START).days + 1)
        if known.get(day := START + timedelta(days=n), tool.DayData()).colour is not None
    ]
    blue_share = sum(c == "blue" for c in period) / len(period)
    always_blue = output["always_blue"]["3"]
    assert always_blue["accuracy"] == pytest.approx(blue_share, abs=1e-4)
    assert always_blue["brier"] == pytest.approx(2 * (1 - blue_share), abs=1e-4)
    assert always_blue["red_recall"] == 0.0
    assert always_blue["red_precision"] is None
    assert output["climatology"]["1"] == output["climatology"]["7"]


def test_scores_count_the_colour_users_are_shown() -> None:
    """A near tie between white and red is announced red, as on the entities."""
    score = tool.Score()
    score.add((0.02, 0.53, 0.45), tool.Colour.RED)
    score.add((0.02, 0.56, 0.42), tool.Colour.WHITE)
    score.add((0.9, 0.1, 0.0), tool.Colour.BLUE)
    result = score.as_dict()
    assert result["accuracy"] == 1.0
    assert result["red_precision"] == result["red_recall"] == 1.0
    assert result["white_precision"] == result["white_recall"] == 1.0


def test_model_beats_the_baselines(run: tuple[dict[str, Any], str]) -> None:
    output, _ = run
    for horizon in map(str, range(1, 8)):
        assert output["model"][horizon]["brier"] < output["climatology"][horizon]["brier"]
    assert output["model"]["1"]["accuracy"] > output["always_blue"]["1"]["accuracy"]
    assert output["model"]["1"]["accuracy"] > output["model"]["7"]["accuracy"]


def test_reports_missing_inputs_on_stderr(run: tuple[dict[str, Any], str]) -> None:
    _, report = run
    line = next(line for line in report.splitlines() if line.startswith("missing inputs: "))
    missing = json.loads(line.removeprefix("missing inputs: "))
    assert missing["temperature"] > 0
    assert missing["consumption_forecast_d1"] > 0
    assert missing["colour"] > 0  # the missing row
    assert "calibration before 2018-11-24: fitted on 2016-09-01…2018-11-23" in report
    # The model's day 1 season by season: the tested winter lies in the 2018-19 season.
    season = next(line for line in report.splitlines() if line.startswith("day 1, season "))
    assert season.startswith("day 1, season 2018-19: ")
    for figure in ("accuracy ", "red precision ", "white precision ", "Brier "):
        assert figure in season


def test_leave_one_season_out(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each season is forecast by a fit on the other seasons, never on itself."""
    arguments = ["--data", str(folder), "--start", "2017-09-01", "--end", "2018-08-31"]
    assert tool.main([*arguments, "--leave-one-season-out"]) == 0
    captured = capsys.readouterr()
    output = json.loads(captured.out)
    assert output["model"]["1"]["days"] == output["climatology"]["7"]["days"] > 300
    assert (
        "calibration for the season 2017-09-01…2018-08-31: fitted on 2016-09-01…2019-02-28 "
        "without 2017-08-25…2018-08-31"
    ) in captured.err
    assert "day 1, season 2017-18: " in captured.err

    # The season's own colours and consumption do not move its fit.
    data = tool.read_data(folder)
    season = tool.Period(date(2017, 9, 1), date(2018, 8, 31))
    fitted = tool.calibrate_without(tool.Views.of(data), season, lambda _: None).params
    for day, item in data.days.items():
        if day in season:
            item.colour = tool.Colour.RED if day.weekday() < 5 else tool.Colour.BLUE
            item.consumption_forecast = item.consumption = 90_000.0
    scrambled = tool.calibrate_without(tool.Views.of(data), season, lambda _: None).params
    assert scrambled == fitted


def test_leave_one_season_out_needs_other_seasons(tmp_path: Path) -> None:
    write_files(tmp_path, seasons(date(2021, 9, 1), date(2022, 3, 31), seed=3))
    with pytest.raises(SystemExit, match="needs other seasons"):
        tool.main(
            [
                "--data",
                str(tmp_path),
                "--start",
                "2021-12-01",
                "--end",
                "2021-12-20",
                "--leave-one-season-out",
            ]
        )


def _data_known_on(data: tool.Dataset, today: date) -> tool.Dataset:
    """The files as they stood on ``today``: later days scrambled, tomorrow's outcome too."""
    known = tool.Dataset()
    for day, item in data.days.items():
        copy = replace(item)
        if day > today:
            copy.colour = tool.Colour.RED
            copy.consumption = copy.wind = 1.0
        if day > today + timedelta(days=1):
            copy.consumption_forecast = 99_000.0
            copy.wind_forecast = copy.solar_forecast = 0.0
        if day >= today:
            copy.consumption = None  # realised values of today are not known that morning
        known.days[day] = copy
    return known


def test_a_forecast_uses_only_what_was_known(folder: Path) -> None:
    data = tool.read_data(folder)
    full, params = tool.Views.of(data), tool.model.load_parameters()
    for today in (date(2019, 1, 9), date(2019, 2, 1)):
        scrambled = tool.Views.of(_data_known_on(data, today))
        for views in (full, scrambled):
            inputs = views.inputs(data if views is full else _data_known_on(data, today), today)
            result = (tool.model.forecast(inputs, params), tool.rule_2016(views, inputs))
            if views is full:
                expected = result
        assert result == expected


def test_calibrates_only_on_days_before_the_start(folder: Path) -> None:
    data = tool.read_data(folder)
    calibrated = tool.calibrate(tool.Views.of(data), START, lambda _: None)
    assert date.fromisoformat(calibrated.params.calibrated_to) < START
    assert set(calibrated.climatology) <= set(range(1, 54))


def test_yearly_recalibration_and_saved_parameters(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params, climatology = tmp_path / "p.json", tmp_path / "c.json"
    data = tmp_path / "data"
    data.mkdir()
    write_files(data, seasons(date(2017, 9, 1), date(2018, 9, 10), seed=11))
    code = tool.main(
        [
            "--data",
            str(data),
            "--start",
            "2018-08-25",
            "--end",
            "2018-09-03",
            "--recalibrate-yearly",
            "--save-parameters",
            str(params),
            "--save-climatology",
            str(climatology),
        ]
    )
    captured = capsys.readouterr()

    assert code == 0
    assert json.loads(captured.out)["model"]["1"]["days"] == 10
    assert "calibration before 2018-09-01: fitted on 2017-09-01…2018-08-31" in captured.err
    saved = Parameters.from_dict(json.loads(params.read_text()))
    assert saved.calibrated_to == "2018-08-17"  # before the first forecast, 7 days ahead
    table = {int(w): tuple(v) for w, v in json.loads(climatology.read_text()).items()}
    assert set(table) == set(range(1, 53)) - {34}  # 20-26 August: after the cutoff
    # A week without data borrows the week before's shares.
    assert tool.climatology_of(table, date(2018, 8, 22)) == table[33]


def test_without_earlier_seasons_the_shipped_fit_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = seasons(date(2021, 9, 1), date(2021, 12, 31), seed=3)
    write_files(tmp_path, later)
    assert tool.main(["--data", str(tmp_path), "--start", "2021-12-01", "--end", "2021-12-20"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["climatology"]["1"]["days"] == 20
    assert "shipped parameters (2014-09-01…2021-08-24)" in captured.err

    with pytest.raises(SystemExit, match="give files with earlier seasons"):
        tool.main(["--data", str(tmp_path), "--start", "2021-05-01", "--end", "2021-12-20"])


@pytest.mark.parametrize(
    "arguments",
    [
        ["--data", "/nonexistent", "--start", "2020-01-01", "--end", "2020-02-01"],
        ["--start", "2020-01-01", "--end", "2020-02-01"],
        ["--data", "{empty}", "--start", "2020-01-01", "--end", "2020-02-01"],
        ["--data", "{empty}", "--start", "2020-03-01", "--end", "2020-02-01"],
        ["--data", "{empty}", "--start", "2020-13-01", "--end", "2020-02-01"],
        [
            "--data",
            "{empty}",
            "--start",
            "2020-01-01",
            "--end",
            "2020-02-01",
            "--recalibrate-yearly",
            "--leave-one-season-out",
        ],
    ],
)
def test_bad_arguments_are_usage_errors(
    arguments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        tool.main([a.replace("{empty}", str(tmp_path)) for a in arguments])
    assert exit_.value.code == 2
    assert capsys.readouterr().err


def test_bad_rows_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "tempo_x.csv").write_text("Date,tempo_type\n2020-01-01,VIOLET\nnot a date,BLEU\n")
    (tmp_path / "france_mean_temperature_x.csv").write_text("AAAAMMJJ,0\n2020-01-01,abc\n")
    (tmp_path / "rte_daily_x.csv").write_text("Date,Consommation\n,1\n2020-01-02,NaN\n")
    (tmp_path / "rte_wind_solar_forecast_d1_x.csv").write_text(
        "start_date,SOLAR_FORECAST_D1,EOLIEN_FORECAST_D1\nyesterday,1,2\n"
    )

    data = tool.read_data(tmp_path)

    assert dict(data.rejected) == {
        "tempo rows": 2,
        "temperature rows": 1,
        "daily rows": 1,
        "wind/solar forecast rows": 1,
    }
    assert data.days[date(2020, 1, 2)].consumption is None


MODEL_FILES = [
    "custom_components/delestage/forecast/rules.py",
    "custom_components/delestage/forecast/model.py",
    "custom_components/delestage/forecast/calibration.py",
    "tools/tempo_backtest.py",
]


@pytest.mark.parametrize("path", MODEL_FILES)
def test_model_and_tool_keep_python_311_syntax(path: str) -> None:
    ast.parse((REPO / path).read_text(encoding="utf-8"), feature_version=(3, 11))


def test_the_tool_runs_without_home_assistant(tmp_path: Path) -> None:
    write_files(tmp_path, seasons(date(2021, 9, 1), date(2021, 10, 31), seed=5))
    arguments = ["--data", str(tmp_path), "--start", "2021-10-20", "--end", "2021-10-31"]
    script = "\n".join(
        [
            "import sys",
            "class Block:",
            "    def find_spec(self, name, path=None, target=None):",
            "        if name.partition('.')[0] in ('homeassistant', 'custom_components'):",
            "            raise ImportError(f'{name} imported')",
            "sys.meta_path.insert(0, Block())",
            "from tools.tempo_backtest import main",
            f"sys.exit(main({arguments!r}))",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model"]["1"]["days"] == 12
