"""Every server string is translated into vi, lo and zh_Hans, and every problem code
has a message in each language."""
import re

import pytest

from server.errors import PROBLEMS
from server.i18n import LOCALES, read_catalog

SCRIPTS = {"lo": re.compile("[\u0e80-\u0eff]"), "zh_Hans": re.compile("[\u4e00-\u9fff]")}
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdf]|\{\w*\}")


@pytest.mark.parametrize("locale", LOCALES[1:])
def test_catalog_is_complete(locale):
    problems = []
    for message in read_catalog(locale):
        if not message.id:
            assert not message.fuzzy, "header marked fuzzy"
            continue
        text = message.string
        if not text or message.fuzzy:
            problems.append(f"empty or fuzzy: {message.id}")
        elif text == message.id:
            problems.append(f"same as English: {message.id}")
        elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(message.id)):
            problems.append(f"placeholders differ: {message.id}")
        elif locale in SCRIPTS and not SCRIPTS[locale].search(text):
            problems.append(f"not in {locale} script: {message.id}")
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES[1:])
def test_every_problem_code_has_a_translated_message(locale):
    translated = {m.id for m in read_catalog(locale) if m.id and m.string}
    assert [code for code, p in PROBLEMS.items() if str(p.message._args[0]) not in translated] == []


@pytest.mark.parametrize("accept, sample", [("vi-VN,vi;q=0.9", "vi"), ("lo", "lo"), ("zh-CN,zh;q=0.9", "zh_Hans"),
                                            ("en-US", "en")])
def test_errors_are_answered_in_the_phones_language(client, accept, sample):
    answer = client.post("/api/v1/sync/push", data=b"{}", headers={"Accept-Language": accept})
    assert answer.json["code"] == "auth_required"
    english = "This request must be signed by an enrolled device."
    if sample == "en":
        assert answer.json["message"] == english
    else:
        assert answer.json["message"] != english
        if sample in SCRIPTS:
            assert SCRIPTS[sample].search(answer.json["message"])


@pytest.mark.parametrize("accept, script", [("lo-LA", SCRIPTS["lo"]), ("zh-CN", SCRIPTS["zh_Hans"])])
def test_enrollment_page_speaks_the_phones_language(client, accept, script):
    page = client.get("/enroll", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert script.search(page) and "not installed" not in page


def test_command_line_speaks_the_shells_language(app, monkeypatch):
    monkeypatch.setenv("WILDLEDGER_LANG", "vi_VN.UTF-8")
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "Ledger ok" not in result.output and "0" in result.output
