"""The wave settings: their documented defaults, and a bad value stopping the process with one line that
names the variable."""

from __future__ import annotations

import pytest

from workers.config import ConfigError, Settings


def test_the_wave_settings_default_as_documented() -> None:
    settings = Settings.from_env({})
    assert settings.wave_approvals_required == 2
    assert settings.expected_migration_s == 30 * 60
    assert settings.nonprod_patterns == ("*dev*", "*test*", "*staging*", "*sandbox*")


def test_the_wave_settings_are_read() -> None:
    settings = Settings.from_env({"ACKMIGRATE_WAVE_APPROVALS_REQUIRED": "3",
                                  "ACKMIGRATE_EXPECTED_MIGRATION_MINUTES": "45",
                                  "ACKMIGRATE_NONPROD_PATTERNS": "*qa*, *uat*"})
    assert (settings.wave_approvals_required, settings.expected_migration_s) == (3, 45 * 60)
    assert settings.nonprod_patterns == ("*qa*", "*uat*")


def test_empty_nonprod_patterns_make_every_cluster_production() -> None:
    assert Settings.from_env({"ACKMIGRATE_NONPROD_PATTERNS": ""}).nonprod_patterns == ()


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"ACKMIGRATE_WAVE_APPROVALS_REQUIRED": "0"}, "ACKMIGRATE_WAVE_APPROVALS_REQUIRED must be a whole number"),
        ({"ACKMIGRATE_WAVE_APPROVALS_REQUIRED": "two"}, "ACKMIGRATE_WAVE_APPROVALS_REQUIRED must be a whole number"),
        ({"ACKMIGRATE_EXPECTED_MIGRATION_MINUTES": "0"}, "ACKMIGRATE_EXPECTED_MIGRATION_MINUTES must be a whole"),
        ({"ACKMIGRATE_EXPECTED_MIGRATION_MINUTES": "1.5"}, "ACKMIGRATE_EXPECTED_MIGRATION_MINUTES must be a whole"),
        ({"ACKMIGRATE_NONPROD_PATTERNS": "*dev*,prod;rm"}, "ACKMIGRATE_NONPROD_PATTERNS must list cluster-name globs"),
        ({"ACKMIGRATE_WAVE_APPROVALS_REQUIRED": "3", "ACKMIGRATE_APPROVERS": "U0ALICE,U0BOB"},
         "ACKMIGRATE_WAVE_APPROVALS_REQUIRED is 3 but ACKMIGRATE_APPROVERS names only 2"),
    ],
)
def test_a_bad_wave_setting_names_its_variable(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        Settings.from_env(env)


def test_the_default_wave_count_does_not_stop_a_bot_with_one_approver() -> None:
    settings = Settings.from_env({"ACKMIGRATE_APPROVERS": "U0ALICE"})
    assert settings.wave_approvals_required == 2
