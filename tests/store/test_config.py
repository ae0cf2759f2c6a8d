"""The department config: defaults equal the example file; bad values name their key."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.config import DepartmentConfig, load_config
from store.errors import ConfigError
from store.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "department.example.toml"


def test_built_in_defaults_are_the_example_file() -> None:
    assert load_config(EXAMPLE) == DepartmentConfig()
    assert load_config(None) == DepartmentConfig()


def test_award_limits_are_pence() -> None:
    limits = DepartmentConfig().award_limits
    assert (limits.per_award_pence, limits.per_year_pence) == (500_000, 1_750_000)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[calendar]\nq1_conversation = "06-31"', "calendar.q1_conversation"),
        ('[calendar]\nq2_conversation = "06-01"', "calendar.q2_conversation"),  # before Q1
        ("[awards]\nper_award_pounds = -5", "awards.per_award_pounds"),
        ("[awards]\nper_award_pounds = 20000", "per_award_pounds"),  # above the yearly cap
        ("[year]\nstart_month = 13", "year.start_month"),
        ('[working_hours]\nstart = "18:00:00"', "end must be after start"),
        ("[reporting]\nsuppression_threshold = 0", "reporting.suppression_threshold"),
        ("[reminders]\nescalate_dg_after_working_days = 2", "escalate_dg_after_working_days"),
        ("[typo]\nx = 1", "typo"),
        ("[awards]\nper_awrd_pounds = 1", "awards.per_awrd_pounds"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_bad_config_fails_naming_the_key(tmp_path: Path, toml: str, key: str) -> None:
    path = tmp_path / "dept.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert key in err.value.message


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PERFBOT_CONFIG"):
        load_config(tmp_path / "nope.toml")


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.delenv("PERFBOT_CONFIG", raising=False)
    settings = Settings()
    assert (settings.database_url, settings.port, settings.host) == (
        "sqlite:///x.db",
        8080,
        "127.0.0.1",
    )
    assert settings.department() == DepartmentConfig()


def test_an_empty_perfbot_config_means_the_built_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """compose passes PERFBOT_CONFIG= when none is set: that is no file, not the folder."""
    from store.settings import Settings

    monkeypatch.setenv("PERFBOT_CONFIG", "")
    settings = Settings()
    assert settings.perfbot_config is None
    assert settings.department().department.name == "Department for Fictional Affairs"
