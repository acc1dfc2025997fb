"""Migration files keep the naming that lets start-up skip Alembic when nothing is due."""

from __future__ import annotations

import re

from alembic.config import Config
from alembic.script import ScriptDirectory

from openwitness.storage.db import MIGRATIONS_DIR, head_revision


def test_each_revision_is_its_file_name_and_the_head_is_the_newest() -> None:
    for path in sorted((MIGRATIONS_DIR / "versions").glob("[0-9]*.py")):
        revision = re.search(r'^revision = "([^"]+)"', path.read_text(), re.M)
        assert revision and revision.group(1) == path.name.split("_", 1)[0], path.name
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == head_revision()
