"""One error handler: typed errors become a friendly reply; the rest is logged with a ref."""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltResponse

from handlers.catalogue import DEFAULT_LANGUAGE, plain_text, t
from handlers.context import RequestScope
from handlers.parsing import MENTION_RE, escape_slack, unescape_slack
from models.errors import InputError, TovholderError
from models.replay import AlreadyHandledError

log = logging.getLogger(__name__)

HANDLERS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = HANDLERS_DIR.parent
# What reading an odd payload raises (`body["actions"][0]["value"]`, `int(…)`, `json.loads`).
PAYLOAD_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def unreadable_payload_at(error: Exception) -> str | None:
    """`handlers/x.py:161` when `error` is a payload that could not be read: one of the errors
    reading a body raises, in a handler's own code (deeper down, in models/, it is a bug)."""
    if not isinstance(error, PAYLOAD_ERRORS):
        return None
    ours = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).is_relative_to(PROJECT_DIR)
        and "site-packages" not in frame.filename
    ]
    if not ours or Path(ours[-1].filename).parent != HANDLERS_DIR:
        return None
    return f"handlers/{Path(ours[-1].filename).name}:{ours[-1].lineno}"


def your_text(lang: str, body: dict[str, Any]) -> str:
    """The command as the member typed it, so nothing they wrote is lost with an error."""
    text = str(body.get("text", "")).strip()
    if not text:
        return ""
    # Slack escaped what was typed; mentions in it are people Slack resolved.
    shown = unescape_slack(f"{body.get('command', '')} {text}".strip().replace("`", "'"))
    mentions = [m["id"] for m in MENTION_RE.finditer(shown)]
    return "\n" + t(lang, "error.your_text", text=escape_slack(shown, mentions=mentions))


def error_text(error: Exception, lang: str, body: dict[str, Any]) -> str:
    """What the user is told about `error`, in `lang`."""
    if isinstance(error, TovholderError):
        params = error.params
        if "command" in body:  # values quoted from a command: Slack's escaping undone first
            params = {k: unescape_slack(v) if isinstance(v, str) else v for k, v in params.items()}
        text: str = t(lang, error.key, **params)
        if isinstance(error, InputError):
            text += your_text(lang, body)
        return text
    ref = uuid.uuid4().hex[:8]
    where = unreadable_payload_at(error)
    if where is not None:
        # A signed request of a shape the handler did not expect: one line, no traceback.
        log.warning("could not read a request ref=%s: %r at %s", ref, error, where)
        return t(lang, "error.unreadable_request")
    log.error("unexpected error ref=%s: %r", ref, error, exc_info=error)
    return t(lang, "error.unexpected", ref=ref)


def error_message(lang: str, error: TovholderError) -> str:
    """The error's text; a `field` parameter only says where a form shows it."""
    return t(lang, error.key, **{k: v for k, v in error.params.items() if k != "field"})


def ephemeral(text: str) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps({"response_type": "ephemeral", "text": text}),
        headers={"content-type": "application/json;charset=utf-8"},
    )


def handle_listener_error(
    error: Exception, body: dict[str, Any], context: dict[str, Any]
) -> BoltResponse | None:
    """Bolt's app-wide error handler. A slash command's reply is the response itself; a form
    shows the error on its first field; a button click gets an ephemeral reply."""
    scope = context.get("scope")
    if isinstance(scope, RequestScope):
        scope.failed = True  # its replay keys are not kept: Slack's retry is handled
    if isinstance(error, AlreadyHandledError):
        # A repeat that ran at the same time as the request it repeats, and lost: nothing
        # it did was committed; it is answered as a repeat is.
        log.info("answered a repeated request that lost the race to its original")
        return BoltResponse(status=200, body="")
    lang = scope.lang if isinstance(scope, RequestScope) else DEFAULT_LANGUAGE
    text = error_text(error, lang, body)
    if "command" in body:
        return ephemeral(text)
    if body.get("type") == "view_submission":
        values = body.get("view", {}).get("state", {}).get("values", {})
        block = next(iter(values), None)
        if block is not None:
            return BoltResponse(
                status=200,
                body=json.dumps({"response_action": "errors", "errors": {block: plain_text(text)}}),
                headers={"content-type": "application/json;charset=utf-8"},
            )
    respond = context.get("respond")
    if respond is not None and context.get("response_url"):
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:  # the reply is a courtesy; the error itself is logged above
            log.warning("could not tell the user about %r", error)
    # Nowhere to answer (a Home tab click, a form without fields): a plain ack, never a 500.
    return BoltResponse(status=200, body="")


def register(app: App) -> None:
    app.error(handle_listener_error)
