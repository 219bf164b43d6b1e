"""The generated reference pages (docs/reference/api.md, cli.md) match the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "docs" / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_up_to_date():
    """docs/reference/api.md is what docs/gen_api.py writes (run it after changing a docstring)."""
    gen = _generator()
    assert gen.API.read_text(encoding="utf-8") == gen.api_text(), "run: python docs/gen_api.py"


def test_cli_reference_is_up_to_date():
    """docs/reference/cli.md is the --help of every command (run docs/gen_api.py after a change)."""
    gen = _generator()
    assert gen.CLI.read_text(encoding="utf-8") == gen.cli_text(), "run: python docs/gen_api.py"


def test_docs_index_links_resolve():
    """Every relative link in docs/index.md points to an existing file."""
    import re

    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    links = [t for t in re.findall(r"\]\(([^)#]+)", text) if "://" not in t]
    assert links
    missing = [t for t in links if not (ROOT / "docs" / t).exists()]
    assert not missing, missing
