"""Rendering configuration templates: sandboxed Jinja2, undefined names are errors, model before vendor.

Templates live in phone_templates/<vendor>/; a model may override a vendor template with
phone_templates/<vendor>/models/<MODEL>/<template>, usually by extending it and replacing blocks.
"""

from __future__ import annotations

import traceback
import weakref
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment


class RenderError(ValueError):
    """A template failed to render; the message names the template and the line, also kept apart in `template`
    ("<template>" for an override's source) and `line` when they are known."""

    def __init__(self, message: str, template: str | None = None, line: int | None = None, reason: str = ""):
        super().__init__(message)
        self.template, self.line, self.reason = template, line, reason or message


def templates_root() -> Path:
    """The phone_templates folder, from a checkout or from an installed wheel (a namespace package)."""
    import phone_templates

    return Path(next(iter(phone_templates.__path__)))


def _autoescape(name: str | None) -> bool:
    # XML formats need escaping (a display name may hold "&"); key=value formats must stay verbatim.
    return bool(name) and ".xml" in name


def make_environment(root: Path | None = None, overrides: dict[str, str] | None = None) -> ImmutableSandboxedEnvironment:
    """A sandboxed environment over the template folder, with database overrides (name -> source) first."""
    shipped = jinja2.FileSystemLoader(str(root or templates_root()))
    loaders: list[jinja2.BaseLoader] = []
    if overrides:
        loaders.append(jinja2.DictLoader(overrides))
    # "base:yealink/device.cfg.j2" is always the shipped template, so an override can extend what it replaces.
    loaders += [jinja2.PrefixLoader({"base": shipped}, delimiter=":"), shipped]
    return ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        auto_reload=False,  # the pipeline watches the template files itself and calls forget_templates()
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template_names(vendor: str, template: str, model: str | None) -> list[str]:
    """The templates to try for a file, most specific first."""
    names = [f"{vendor}/{template}"]
    if model:
        names.insert(0, f"{vendor}/models/{model}/{template}")
    return names


#: The template each environment chose for a list of names: looking for a model's template that does not
#: exist costs a search through every loader at each rendering, and a boot storm renders thousands.
_CHOSEN: weakref.WeakKeyDictionary[jinja2.Environment, dict[tuple[str, ...], jinja2.Template]] = weakref.WeakKeyDictionary()


def forget_templates(environment: jinja2.Environment) -> None:
    """Let go of the templates `environment` loaded and chose (its files changed); overlays share its cache."""
    if environment.cache is not None:
        environment.cache.clear()
    _CHOSEN.clear()


def render(environment: jinja2.Environment, vendor: str, template: str, model: str | None, context: dict[str, Any]) -> str:
    """The whole file, or RenderError: a device never gets a half-rendered file."""
    names = tuple(template_names(vendor, template, model))
    try:
        chosen_by_names = _CHOSEN.setdefault(environment, {})
        chosen = chosen_by_names.get(names)
        if chosen is None:
            chosen = chosen_by_names[names] = environment.select_template(names)
        return chosen.render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.name or template}, line {exc.lineno}: {exc.message}",
                          exc.name or template, exc.lineno, str(exc.message)) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"no template {exc.name}") from None
    except (jinja2.UndefinedError, jinja2.exceptions.SecurityError, TypeError, ValueError) as exc:
        where = _frame(exc)
        place = f"{where[0]}, line {where[1]}" if where else f"{vendor}/{template}"
        raise RenderError(f"{place}: {exc}", *(where or (None, None)), str(exc)) from None


def _frame(exc: BaseException) -> tuple[str, int] | None:
    """The name and line of the innermost template frame in a rendering error's traceback."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2") or frame.filename == "<template>":
            found = (frame.filename.rsplit("phone_templates/", 1)[-1], frame.lineno or 0)
    return found
