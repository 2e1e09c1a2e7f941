#!/usr/bin/python3
"""Renders one chat template with the real jinja2, twice: first with jinja2.sandbox.ImmutableSandboxedEnvironment, then
with a plain (unsandboxed) jinja2.Environment, on a sample conversation. Prints one JSON object:
  {"sandbox": {"status": ..., "error": ..., "marker": bool}, "unsafe": {"status": ..., "error": ..., "marker": bool, "output": str}}
status is "ok", "security-error" (jinja2.exceptions.SecurityError) or "error". "marker" says whether MARKER exists after
that render. Used by the interop tests only; the hostile templates create MARKER and nothing else.

Usage: render_template.py TEMPLATE_FILE MARKER
"""
import datetime
import json
import os
import sys

import jinja2
import jinja2.sandbox
from jinja2.exceptions import SecurityError

TEMPLATE_FILE, MARKER = sys.argv[1], sys.argv[2]

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "Paris."},
    {"role": "user", "content": "And of Italy?"},
]
# Families that refuse a system turn get the conversation without it.
NO_SYSTEM = [m for m in MESSAGES if m["role"] != "system"]


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def strftime_now(fmt):
    return datetime.datetime.now().strftime(fmt)


def render(environment):
    # The globals transformers adds when it renders chat templates.
    environment.globals["raise_exception"] = raise_exception
    environment.globals["strftime_now"] = strftime_now
    with open(TEMPLATE_FILE, encoding="utf-8") as f:
        source = f.read()
    template = environment.from_string(source)
    context = {"bos_token": "<s>", "eos_token": "</s>", "add_generation_prompt": True}
    try:
        return template.render(messages=MESSAGES, **context)
    except jinja2.exceptions.TemplateError as e:
        if isinstance(e, SecurityError):
            raise
        return template.render(messages=NO_SYSTEM, **context)


def attempt(environment):
    try:
        output = render(environment)
        return {"status": "ok", "error": "", "output": output, "marker": os.path.exists(MARKER)}
    except SecurityError as e:
        return {"status": "security-error", "error": str(e), "output": "", "marker": os.path.exists(MARKER)}
    except Exception as e:  # noqa: BLE001 - any other failure is reported, not raised
        return {"status": "error", "error": "%s: %s" % (type(e).__name__, e), "output": "", "marker": os.path.exists(MARKER)}


result = {"sandbox": attempt(jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True))}
result["unsafe"] = attempt(jinja2.Environment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]))
print(json.dumps(result))
