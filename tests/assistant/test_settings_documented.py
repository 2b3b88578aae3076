"""The README's configuration table stays true: every setting is listed there."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_row_in_the_readme_configuration_table() -> None:
    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"`BROKERDESK_([A-Z0-9_]+)`", text))
    missing = sorted({name.upper() for name in Settings.model_fields} - documented)
    assert not missing, f"settings missing from README's configuration table: {missing}"
