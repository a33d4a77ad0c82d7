"""Templates are compiled to write escaped values without making a Markup of each, and their
compiled code is kept only for the source and the compiler that made it."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment
from markupsafe import Markup, escape

from generator import render
from generator.config import SiteConfig
from generator.render import CompiledTemplates, make_environment, render_page
from generator.views import PageView


class _Safe:
    def __html__(self) -> str:
        return "<b>safe</b>"


class _Text(str):
    pass


VALUES = [
    "Putin & Kim: <\"Vi er klar\"> 'nu'",
    "",
    "Ærø – ingen tegn",
    Markup("<em>allerede sikker</em>"),
    _Safe(),
    _Text("<en underklasse>"),
    42,
    2.5,
    True,
    None,
]


def _render(tmp_path: Path, template: str, **data: object) -> str:
    (tmp_path / "t.html").write_text(template, encoding="utf-8")
    config = SiteConfig(title="T")
    env = make_environment([tmp_path], config)
    return render_page(env, PageView("", "t.html", data), config).data.decode("utf-8")


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_is_written_as_jinja2_itself_writes_it(tmp_path: Path, value: object) -> None:
    template = (
        "{{ v }}|{% set block %}{{ v }}{% endset %}{{ block }}|{{ v ~ '<' }}|"
        "{% macro m(x) %}{{ x }}{% endmacro %}{{ m(v) }}|{{ [v]|first }}|{{ v|e }}"
    )
    stock = Environment(autoescape=True).from_string(template).render(v=value)
    out = _render(tmp_path, template, v=value)
    assert out == stock
    assert out.startswith(str(escape(value)) + "|")


def test_templates_escape_their_values_through_output_escape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []

    def counting(value: object) -> str:
        calls.append(value)
        return str(escape(value))

    monkeypatch.setattr(render, "output_escape", counting)
    out = _render(tmp_path, "{{ a }} {{ b }}{% if a %} {{ a|upper }}{% endif %}", a="<x>", b=3)
    assert out == "&lt;x&gt; 3 &lt;X&gt;"
    assert calls == ["<x>", 3, "<X>"]


def test_a_template_without_autoescape_writes_values_as_they_are(tmp_path: Path) -> None:
    assert _render(tmp_path, "{% autoescape false %}{{ v }}{% endautoescape %}", v="<a>") == "<a>"


def test_compiled_code_is_kept_for_its_source_and_compiler_only(tmp_path: Path) -> None:
    folder = tmp_path / "compiled"
    (tmp_path / "t.html").write_text("{{ v }}", encoding="utf-8")
    config = SiteConfig(title="T")
    env = make_environment([tmp_path], config, bytecode=folder, compiler="one")
    env.get_template("t.html")
    source = "{{ v }}"
    filename = str(tmp_path / "t.html")

    def kept(compiler: str, text: str) -> bool:
        bucket = CompiledTemplates(str(folder), compiler).get_bucket(env, "t.html", filename, text)
        return bucket.code is not None

    assert kept("one", source)
    assert not kept("two", source)
    assert not kept("one", source + " ")
