"""`homecare nlu parse`: JSON, JSON lines and a human line; bad input gives a clear error."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from homecare.cli.nlu import app
from homecare.errors import UsageError

runner = CliRunner()


def test_parse_json_keeps_cyrillic_readable() -> None:
    result = runner.invoke(app, ["parse", "--lang", "ru", "позвони дочке", "--json"])
    assert result.exit_code == 0, result.output
    assert "дочке" not in result.output  # the slot is the role id, not the words
    payload = json.loads(result.output)
    assert payload == {"intent": "call.request", "slots": {"role": "daughter"}, "confidence": 0.95}
    result = runner.invoke(app, ["parse", "--lang", "ru", "позвони Марии Ивановне", "--json"])
    assert '"person": "марии ивановне"' in result.output  # ensure_ascii=False


def test_parse_human_line() -> None:
    result = runner.invoke(app, ["parse", "--lang", "en", "remind me in ten minutes"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "reminder.snooze (0.95)  duration_s=600"


def test_jsonl_reads_stdin_one_object_per_line() -> None:
    stdin = "я выпила таблетку\n\nпомогите\nкакая погода\n"
    result = runner.invoke(app, ["parse", "--lang", "ru", "--jsonl"], input=stdin)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["intent"] for line in lines] == [
        "reminder.ack",
        "unknown",  # the empty line: kept, so output lines match input lines
        "help.emergency",
        "unknown",
    ]
    assert lines[1] == {"intent": "unknown", "slots": {}, "confidence": 0.0}


def test_unknown_language_is_a_usage_error() -> None:
    result = runner.invoke(app, ["parse", "--lang", "de", "hallo", "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, UsageError)
    assert "unknown language 'de'" in str(result.exception)
    assert "ru, en" in str(result.exception)


def test_text_and_jsonl_together_or_neither_are_usage_errors() -> None:
    both = runner.invoke(app, ["parse", "--lang", "ru", "да", "--jsonl"], input="нет\n")
    assert isinstance(both.exception, UsageError)
    assert "not both" in str(both.exception)
    neither = runner.invoke(app, ["parse", "--lang", "ru"])
    assert isinstance(neither.exception, UsageError)
    assert "nothing to parse" in str(neither.exception)


def test_bad_time_zone_is_a_usage_error() -> None:
    result = runner.invoke(app, ["parse", "--lang", "en", "help", "--timezone", "Nowhere/Land"])
    assert isinstance(result.exception, UsageError)
    assert "unknown time zone 'Nowhere/Land'" in str(result.exception)
