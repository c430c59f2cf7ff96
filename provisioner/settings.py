"""Server configuration, layered: schema defaults, config file, PROVISIONER_* variables, command-line flags."""

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_type_hints

import yaml

from provisioner.settings_schema import (
    CROSS_CHECKS,
    ENV_PREFIX,
    NOT_SETTINGS,
    NOT_SETTINGS_PREFIX,
    SECTIONS,
    SETTINGS,
    SETTINGS_BY_NAME,
    Setting,
    redact,
    show,
)
from provisioner.settings_sections import (
    ApiSettings,
    CalendarSettings,
    HttpSettings,
    HttpsSettings,
    InstallationSettings,
    LifecycleSettings,
    LoggingSettings,
    ProviderSettings,
    ProvisioningSettings,
    SecretsSettings,
    StorageSettings,
    TftpSettings,
)
from provisioner.sip_settings import SipSettings

DEFAULT = "default"
COMMAND_LINE = "command line"
MASK = "********"


class ConfigError(Exception):
    """The configuration cannot be used; `problems` holds every reason found, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = list(problems)

    def __str__(self) -> str:
        lines = [f"configuration has {len(self.problems)} problem(s):"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)


@dataclass(frozen=True)
class Settings:
    """The effective configuration; `sources` says where each dotted setting's value came from."""

    data_dir: str
    workers: int
    http: HttpSettings
    https: HttpsSettings
    provisioning: ProvisioningSettings
    tftp: TftpSettings
    sip: SipSettings
    storage: StorageSettings
    secrets: SecretsSettings
    api: ApiSettings
    calendar: CalendarSettings
    lifecycle: LifecycleSettings
    installation: InstallationSettings
    provider: ProviderSettings
    logging: LoggingSettings
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    @property
    def worker_count(self) -> int:
        """How many server processes to run (`workers: 0` means one per processor core)."""
        return self.workers or os.cpu_count() or 1

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def secret_key_path(self) -> Path:
        return self.data_path / self.secrets.key_file

    def value(self, name: str) -> Any:
        """The value of a setting by dotted name, e.g. "http.port"."""
        section, _, key = name.rpartition(".")
        return getattr(getattr(self, section) if section else self, key)


def load_settings(
    path: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Settings:
    """Load and check the configuration; raise ConfigError listing every problem found."""
    layers = _Layers()
    if path is not None:
        layers.read_file(os.fspath(path))
    layers.read_environ(os.environ if environ is None else environ)
    layers.read_overrides(overrides or {})
    layers.cross_check()
    if layers.problems:
        raise ConfigError(layers.problems)
    return layers.settings()


def describe(settings: Settings) -> list[tuple[str, object, str]]:
    """(dotted name, effective value, source) of every setting, for `check-config`; secrets masked."""
    rows = []
    for setting in SETTINGS:
        value = settings.value(setting.name)
        if setting.key.endswith("password") and value:
            value = MASK
        elif isinstance(value, str):
            value = redact(value)
        rows.append((setting.name, value, settings.sources.get(setting.name, DEFAULT)))
    return rows


_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _from_text(setting: Setting, text: str) -> Any:
    """Convert an environment variable's text to the setting's type; ValueError when it cannot be."""
    if setting.type is str:
        return text
    if setting.type is int and _INTEGER.fullmatch(text.strip()):
        return int(text)
    if setting.type is float:
        return float(text)
    if setting.type is bool and text.strip().lower() in _BOOLEANS:
        return _BOOLEANS[text.strip().lower()]
    if setting.type is list:
        return tuple(item.strip() for item in text.split(",") if item.strip())
    raise ValueError(text)


def _typed(setting: Setting, value: Any) -> Any:
    """Accept a YAML or command-line value of the setting's type; ValueError otherwise."""
    kind = setting.type
    if isinstance(value, bool) and kind is not bool:
        raise ValueError(value)  # bool is an int subclass, but `port: true` is a mistake
    if kind is float and isinstance(value, int):
        return float(value)
    if kind is str and isinstance(value, os.PathLike):
        return os.fspath(value)
    if kind is list and isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    if kind is not list and isinstance(value, kind):
        return value
    raise ValueError(value)


def _unknown(name: str, what: str, place: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f"{name}: unknown {what} ({place})" + (f"; did you mean {close[0]}?" if close else "")


class _Layers:
    """Values, their sources and the problems found, as each layer is applied over the previous ones."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
        self.sources = dict.fromkeys(self.values, DEFAULT)
        self.places = dict.fromkeys(self.values, "by default")
        self.problems: list[str] = []
        self.wrong: set[str] = set()

    def set(self, name: str, raw: Any, source: str, place: str, from_text: bool = False) -> None:
        setting = SETTINGS_BY_NAME[name]
        try:
            value = _from_text(setting, raw) if from_text else _typed(setting, raw)
        except ValueError:
            problem = f"expected {setting.check.expected}, got {show(raw)}"
        else:
            value = setting.normalize(value) if setting.normalize else value
            problem = setting.check.problem(value)
        if problem:
            self.problems.append(f"{name}: {problem} ({place})")
            self.wrong.add(name)
        else:
            self.values[name], self.sources[name], self.places[name] = value, source, place

    def read_file(self, path: str) -> None:
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            self.problems.append(f"config file {path}: cannot read it ({reason})")
            return
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            document = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            self.problems.append(f"config file {path}{at}: invalid YAML: {getattr(exc, 'problem', None) or exc}")
            return
        finally:
            loader.dispose()
        if document is None:
            return
        if not isinstance(document, dict):
            self.problems.append(f"config file {path}: expected a mapping of sections, got {show(document)}")
            return
        lines = self._key_lines(path, node)

        def place(name: str) -> str:
            return f"in {path}, line {lines[name]}" if name in lines else f"in {path}"

        top_level = [*SECTIONS, *(s.name for s in SETTINGS if not s.section)]
        for section, body in document.items():
            section = str(section)
            if section in SETTINGS_BY_NAME:
                self.set(section, body, path, place(section))
            elif section not in SECTIONS:
                self.problems.append(_unknown(section, "section", place(section), top_level))
            elif not isinstance(body, dict | None):
                self.problems.append(f"{section}: expected a mapping of settings, got {show(body)} ({place(section)})")
            else:
                for key, raw in (body or {}).items():
                    name = f"{section}.{key}"
                    if name in SETTINGS_BY_NAME:
                        self.set(name, raw, path, place(name))
                    else:
                        self.problems.append(_unknown(name, "setting", place(name), list(SETTINGS_BY_NAME)))

    def _key_lines(self, path: str, root: yaml.Node) -> dict[str, int]:
        """Line of each dotted key in the file; a key written twice is a problem (YAML keeps the last)."""
        lines: dict[str, int] = {}

        def walk(mapping: yaml.MappingNode, prefix: str) -> None:
            for key_node, value_node in mapping.value:
                name, line = prefix + str(key_node.value), key_node.start_mark.line + 1
                if name in lines:
                    self.problems.append(f"{name}: set twice in {path}, lines {lines[name]} and {line}")
                lines[name] = line
                if not prefix and isinstance(value_node, yaml.MappingNode):
                    walk(value_node, name + ".")

        walk(root, "")
        return lines

    def read_environ(self, environ: Mapping[str, str]) -> None:
        by_env = {s.env_name: s.name for s in SETTINGS}
        section_prefixes = tuple(ENV_PREFIX + section.upper() + "_" for section in SECTIONS)
        for variable, text in sorted(environ.items()):
            if variable in by_env:
                self.set(by_env[variable], text, variable, f"from environment variable {variable}", from_text=True)
            elif variable in NOT_SETTINGS or variable.startswith(NOT_SETTINGS_PREFIX):
                continue
            elif variable.startswith(section_prefixes):
                self.problems.append(_unknown(variable, "setting", "environment variable", list(by_env)))

    def read_overrides(self, overrides: Mapping[str, object]) -> None:
        for name, raw in overrides.items():
            if raw is None:
                continue
            if name in SETTINGS_BY_NAME:
                self.set(name, raw, COMMAND_LINE, "from the command line")
            else:
                self.problems.append(_unknown(name, "setting", "from the command line", list(SETTINGS_BY_NAME)))

    def cross_check(self) -> None:
        for cross_check in CROSS_CHECKS:
            if self.wrong.intersection(cross_check.names):
                continue
            problem = cross_check.problem(self.values)
            if problem:
                cited = "; ".join(f"{n} = {show(self.values[n])} {self.places[n]}" for n in cross_check.names)
                self.problems.append(f"{problem} ({cited})")

    def settings(self) -> Settings:
        sections: dict[str, dict[str, Any]] = {}
        top_level: dict[str, Any] = {}
        for setting in SETTINGS:
            value = self.values[setting.name]
            if setting.section:
                sections.setdefault(setting.section, {})[setting.key] = value
            else:
                top_level[setting.name] = value
        classes = get_type_hints(Settings)
        built = {section: classes[section](**fields) for section, fields in sections.items()}
        return Settings(**top_level, **built, sources=MappingProxyType(dict(self.sources)))
