"""The directory benchmark runs end to end at a tiny scale (SQLite only, no timing checks)."""

from __future__ import annotations

import re

from bot.directory import benchmark

ROW = re.compile(
    r"^\| sqlite \| (?P<query>[a-z+ ]+) \| (?P<n>\d+) \| (?P<found>\d+) "
    r"\| (?P<p50>\d+\.\d+) \| (?P<p95>\d+\.\d+) \| (?P<max>\d+\.\d+) \| (?:PASS|FAIL) \|$"
)


def test_benchmark_prints_the_table_and_writes_the_report(tmp_path, capsys):
    report = tmp_path / "performance.md"
    status = benchmark.main(
        [
            "--services=300",
            "--cities=10",
            "--queries=5",
            "--databases=sqlite",
            f"--sqlite-path={tmp_path / 'bench.db'}",
            f"--report={report}",
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "| database | query | n | with results | p50 ms | p95 ms | max ms |" in out
    assert re.search(r"p95 target 30 ms: (PASS|FAIL)", out)
    rows = {m["query"]: m for m in (ROW.match(line) for line in out.splitlines()) if m}
    assert set(rows) == set(benchmark.QUERY_TYPES)
    for row in rows.values():
        assert int(row["n"]) == 5
        assert int(row["found"]) > 0  # every query type found services
        assert float(row["p50"]) <= float(row["p95"]) <= float(row["max"])
    text = report.read_text(encoding="utf-8")
    assert benchmark.REPORT_START in text and "| sqlite | proximity | 5 |" in text
    assert "300 services in 10 cities" in text


def test_generated_rows_and_timings(tmp_path):
    run = benchmark.run_database("sqlite", 120, 4, 3, tmp_path / "bench.db")
    assert run.rows["service"] == 120
    assert run.rows["service_at_location"] == 120
    assert 120 <= run.rows["attribute"] <= 240  # one or two categories per service
    assert run.version.startswith("SQLite ")
    assert set(run.timings) == set(benchmark.QUERY_TYPES)
    assert all(len(t.samples_ms) == 3 and t.results == 3 for t in run.timings.values())


def test_report_section_is_replaced_not_appended(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text("# Title\n\nProse.\n", encoding="utf-8")
    benchmark.write_report(path, "first\n")
    benchmark.write_report(path, "second\n")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nProse.\n")
    assert "second" in text and "first" not in text
    assert text.count(benchmark.REPORT_START) == 1
