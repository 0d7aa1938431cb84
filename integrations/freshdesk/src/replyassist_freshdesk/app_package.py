"""Package the ReplyAssist sidebar app (Freshworks platform 3.0) as a zip for Freshdesk's custom-app upload.

``fdk validate`` / ``fdk pack`` need the Node.js FDK; :func:`package_app` runs the checks that matter
for this app without it, so a broken manifest is caught in CI: platform version, the
``support_ticket`` → ``ticket_sidebar`` location with its page and icon, request templates declared
in the manifest and defined in ``config/requests.json`` (and the other way round), secure
installation parameters used only in headers (the platform substitutes them nowhere else), every file
a page references, and no script loaded from anywhere but the platform's ``{{{appclient}}}``.

The sidebar's UI is shared with the Zendesk app (``integrations/sidebar/``); its files are copied into
``app/scripts`` and ``app/styles`` here, so the zip is self-contained. Layout of the zip::

    manifest.json
    app/index.html, app/scripts/{app.js, sidebar.js, sidebar-i18n.js}, app/styles/{sidebar.css, images/icon.svg}
    config/iparams.json, config/requests.json
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from replyassist import ConfigurationError

__all__ = ["APP_CLIENT", "SHARED_FILES", "package_app", "validate_app"]

APP_CLIENT = "{{{appclient}}}"
"""The platform's client script placeholder: the one script a page may load from outside the app."""

SHARED_FILES = {
    "sidebar.js": "app/scripts/sidebar.js",
    "sidebar-i18n.js": "app/scripts/sidebar-i18n.js",
    "sidebar.css": "app/styles/sidebar.css",
}
"""Files of the shared sidebar UI and where they go in the app."""

_HERE = Path(__file__).resolve().parent
# A wheel carries the app as package data (app/ and sidebar/ next to this module); a source
# checkout has them at integrations/<helpdesk>/app and integrations/sidebar.
_APP_DIRS = (_HERE / "app", _HERE.parents[1] / "app")
_SHARED_DIRS = (_HERE / "sidebar", _HERE.parents[2] / "sidebar")
_IPARAM_TYPES = {
    "text", "paragraph", "dropdown", "email", "phone_number", "number", "url",
    "checkbox", "radio", "multiselect", "date", "api_key", "domain",
}  # fmt: skip
_REQUIRED_IPARAMS = {"service_host": False, "service_token": True}  # name -> must be secure
_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH"}
_IPARAM_USE = re.compile(r"<%=\s*iparam\.(\w+)\s*%>")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def package_app(output: Path, *, app_dir: Path | None = None, shared_dir: Path | None = None) -> Path:
    """Check the app and write its upload zip.

    Args:
        output: the zip to write, or a directory to write ``replyassist-freshdesk-app.zip`` in.
        app_dir: the app's source folder (default: ``integrations/freshdesk/app`` of this checkout).
        shared_dir: the shared sidebar folder (default: ``integrations/sidebar``).

    Returns:
        The path of the zip written.

    Raises:
        ConfigurationError: listing every problem found; nothing is written then.
    """
    files = _collect(app_dir or _first_dir(_APP_DIRS), shared_dir or _first_dir(_SHARED_DIRS))
    problems = validate_app(files)
    if problems:
        raise ConfigurationError("the Freshdesk app is not valid:\n  - " + "\n  - ".join(problems))
    target = Path(output)
    if target.is_dir() or not target.suffix:
        target = target / "replyassist-freshdesk-app.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_TIME), files[name], zipfile.ZIP_DEFLATED)
    return target


def validate_app(files: dict[str, bytes]) -> list[str]:
    """Every problem with an app given as ``{path in the zip: content}``; empty when it is valid."""
    checks = _Checks(files)
    manifest = checks.json_object("manifest.json")
    iparams = checks.json_object("config/iparams.json")
    requests = checks.json_object("config/requests.json")
    if manifest is not None:
        checks.manifest(manifest)
        if requests is not None:
            checks.declared_requests(manifest, requests)
    if iparams is not None:
        checks.iparams(iparams)
        if requests is not None:
            checks.requests(requests, iparams)
    for name in sorted(files):
        if name.endswith(".html"):
            checks.page(name)
    return checks.problems


@dataclass
class _Checks:
    files: dict[str, bytes]
    problems: list[str] = field(default_factory=list)

    def json_object(self, name: str) -> dict[str, Any] | None:
        if name not in self.files:
            self.problems.append(f"{name} is missing")
            return None
        try:
            data = json.loads(self.files[name])
        except ValueError as exc:
            self.problems.append(f"{name} is not valid JSON: {exc}")
            return None
        if not isinstance(data, dict):
            self.problems.append(f"{name} must be a JSON object")
            return None
        return data

    def manifest(self, manifest: dict[str, Any]) -> None:
        if manifest.get("platform-version") != "3.0":
            self.problems.append(
                f"manifest.json: platform-version must be '3.0', not {manifest.get('platform-version')!r}"
            )
        engines = manifest.get("engines")
        if not isinstance(engines, dict) or not engines.get("node") or not engines.get("fdk"):
            self.problems.append("manifest.json: engines.node and engines.fdk are required")
        modules = manifest.get("modules")
        ticket = modules.get("support_ticket") if isinstance(modules, dict) else None
        location = ticket.get("location", {}).get("ticket_sidebar") if isinstance(ticket, dict) else None
        if not isinstance(location, dict):
            self.problems.append("manifest.json: modules.support_ticket.location.ticket_sidebar is required")
            return
        for key in ("url", "icon"):
            value = location.get(key)
            if not isinstance(value, str) or not value:
                self.problems.append(f"manifest.json: ticket_sidebar.{key} is required")
            elif f"app/{value}" not in self.files:
                self.problems.append(f"manifest.json: ticket_sidebar.{key} app/{value} is missing")

    def declared_requests(self, manifest: dict[str, Any], requests: dict[str, Any]) -> None:
        modules = manifest.get("modules")
        common = modules.get("common") if isinstance(modules, dict) else None
        declared = set(common.get("requests", {})) if isinstance(common, dict) else set()
        for name in sorted(declared - set(requests)):
            self.problems.append(
                f"manifest.json declares request {name!r}, which config/requests.json does not define"
            )
        for name in sorted(set(requests) - declared):
            self.problems.append(
                f"config/requests.json defines {name!r}, which manifest.json does not declare"
            )

    def iparams(self, iparams: dict[str, Any]) -> None:
        for name, spec in iparams.items():
            if not isinstance(spec, dict) or not spec.get("display_name"):
                self.problems.append(f"config/iparams.json: {name!r} needs a display_name")
                continue
            if spec.get("type") not in _IPARAM_TYPES:
                self.problems.append(
                    f"config/iparams.json: {name!r} has an unknown type {spec.get('type')!r}"
                )
        for name, must_be_secure in _REQUIRED_IPARAMS.items():
            spec = iparams.get(name)
            if not isinstance(spec, dict):
                self.problems.append(f"config/iparams.json: the {name!r} parameter is required")
            elif must_be_secure and spec.get("secure") is not True:
                self.problems.append(f"config/iparams.json: the {name!r} parameter must be secure")
            elif spec.get("required") is not True:
                self.problems.append(f"config/iparams.json: the {name!r} parameter must be required")

    def requests(self, requests: dict[str, Any], iparams: dict[str, Any]) -> None:
        secure = {name for name, spec in iparams.items() if isinstance(spec, dict) and spec.get("secure")}
        for name, template in requests.items():
            schema = template.get("schema") if isinstance(template, dict) else None
            where = f"config/requests.json: {name!r}"
            if not isinstance(schema, dict):
                self.problems.append(f"{where} needs a schema")
                continue
            if schema.get("method") not in _METHODS:
                self.problems.append(f"{where}: method must be one of {', '.join(sorted(_METHODS))}")
            if not schema.get("host") or "/" in str(schema.get("host")):
                self.problems.append(f"{where}: host must be a bare host name (no protocol, no path)")
            if not str(schema.get("path", "/")).startswith("/"):
                self.problems.append(f"{where}: path must start with /")
            if schema.get("protocol", "https") != "https":
                self.problems.append(f"{where}: protocol must be https in a packaged app")
            for part in ("host", "path", "query"):
                for used in _IPARAM_USE.findall(json.dumps(schema.get(part, ""))):
                    if used in secure:
                        self.problems.append(
                            f"{where}: the secure iparam {used!r} can only be used in headers"
                        )
            for used in _IPARAM_USE.findall(json.dumps(schema)):
                if used not in iparams:
                    self.problems.append(
                        f"{where}: uses iparam {used!r}, which config/iparams.json does not define"
                    )

    def page(self, name: str) -> None:
        collector = _References()
        collector.feed(self.files[name].decode("utf-8", errors="replace"))
        base = PurePosixPath(name).parent
        for kind, reference in collector.references:
            if reference == APP_CLIENT and kind == "script":
                continue
            parts = urlsplit(reference)
            if parts.scheme or reference.startswith("//") or "{{" in reference:
                self.problems.append(
                    f"{name}: loads {reference} from outside the app (only {APP_CLIENT} may be)"
                )
                continue
            target = str(base / parts.path)
            if target not in self.files:
                self.problems.append(f"{name}: references {reference}, which is not in the app")


class _References(HTMLParser):
    """Collects what a page loads: script sources, stylesheets and images."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.references.append(("script", str(values["src"])))
        elif tag == "link" and values.get("href"):
            self.references.append(("link", str(values["href"])))
        elif tag == "img" and values.get("src"):
            self.references.append(("img", str(values["src"])))


def _collect(app_dir: Path, shared_dir: Path) -> dict[str, bytes]:
    """The zip's contents: the app folder plus the shared sidebar files."""
    if not (app_dir / "manifest.json").is_file():
        raise ConfigurationError(
            f"no Freshdesk app at {app_dir} (install from a source checkout, or a wheel that ships the app)"
        )
    files = {
        path.relative_to(app_dir).as_posix(): path.read_bytes()
        for path in sorted(app_dir.rglob("*"))
        if path.is_file()
        and not any(
            part.startswith(".") or part in ("dist", "node_modules")
            for part in path.relative_to(app_dir).parts
        )
    }
    for name, destination in SHARED_FILES.items():
        source = shared_dir / name
        if not source.is_file():
            raise ConfigurationError(f"the shared sidebar file {source} is missing")
        files[destination] = source.read_bytes()
    return files


def _first_dir(candidates: tuple[Path, ...]) -> Path:
    """The first folder that exists (the last one if none does, for the error message)."""
    return next((path for path in candidates if path.is_dir()), candidates[-1])
