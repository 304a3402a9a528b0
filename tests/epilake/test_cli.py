from click.testing import CliRunner

from epilake.cli import main


def test_generate_writes_four_feeds_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "landing"
    runner = CliRunner()
    args = ["generate", "--patients", "2000", "--days", "30", "--seed", "4", "--out", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Generated" in result.output
    assert {p.name for p in out.iterdir()} == {"lab", "records", "register", "tracing", "_truth"}
    again = runner.invoke(main, args)
    assert again.exit_code != 0 and "landed files are immutable" in again.output


def test_sql_explains_a_missing_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("EPILAKE_HOME", str(tmp_path / "empty"))
    result = CliRunner().invoke(main, ["sql", "select 1"])
    assert result.exit_code != 0 and "run `epilake run` first" in result.output
