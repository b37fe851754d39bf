"""Every example question a newcomer sees — in README's "What you can ask", on the home page and in
the chat box — is answered on the data `kg up` loads (the report's facts and the demo): understood,
not partial, and with something in it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_kg

from kg.chat import Session, answer
from kg.config import Config
from kg.store import open_store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def up_store(tmp_path_factory):
    ws = tmp_path_factory.mktemp("up")
    assert run_kg("load", "seed", workspace=ws).returncode == 0
    assert run_kg("demo", workspace=ws).returncode == 0
    return open_store(Config(workspace=ws, backend="embedded"))


def readme_examples() -> tuple[list[str], list[str]]:
    """(questions, follow-ups) from README's "What you can ask"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What you can ask", 1)[1].split("\n## ", 1)[0]
    questions, followups = [], []
    for bullet in re.split(r"\n- ", section)[1:]:
        bullet = bullet.split("\n\n", 1)[0]  # the list ends at the first blank line
        items = [x for x in re.findall(r"`([^`]+)`", bullet) if not x.startswith(("/", "kg ", "GET "))]
        if bullet.startswith("follow-ups"):
            followups += items
        else:
            questions += [x for x in items if not x.startswith("Sequoia Capital China (")]
    return questions, followups


def _good(ans) -> bool:
    if ans["intent"] == "yes_no":
        return ans["value"] == 1 and not ans["partial"]  # an example shows a yes
    return ans["intent"] not in ("unknown",) and not ans["partial"] and \
        (ans["entities"] or (ans["value"] not in (None, 0)))


QUESTIONS, FOLLOWUPS = readme_examples()


def test_readme_lists_examples():
    assert len(QUESTIONS) >= 15 and len(FOLLOWUPS) >= 3


@pytest.mark.parametrize("q", QUESTIONS)
def test_readme_example_is_answered_on_the_shipped_data(up_store, q):
    ans = answer(up_store, q)
    assert _good(ans), (q, ans["intent"], ans["text"])


def test_readme_follow_ups_are_answered_in_a_conversation(up_store):
    s = Session()
    first = answer(up_store, QUESTIONS[0], s)
    assert _good(first)
    for q in FOLLOWUPS:
        ans = answer(up_store, q, s)
        assert ans["intent"] != "unknown" and not ans["partial"], (q, ans["text"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_home_and_chat_examples_are_answered_on_the_shipped_data(up_store, lang):
    from web import create_app

    app = create_app({"TESTING": True}, store=up_store)
    client = app.test_client()
    html = client.get(f"/?lang={lang}").get_data(as_text=True) + client.get(f"/chat?lang={lang}").get_data(as_text=True)
    chips = [re.sub(r"&#3[49];|&amp;|&quot;", lambda m: {"&#34;": '"', "&#39;": "'", "&amp;": "&",
                                                          "&quot;": '"'}[m.group(0)], x)
             for x in re.findall(r'class="chip"[^>]*>([^<]+)</a>', html)]
    assert chips, "no example chips on the home or chat page"
    for q in dict.fromkeys(chips):
        ans = answer(up_store, q)
        assert _good(ans), (q, ans["intent"], ans["text"])
