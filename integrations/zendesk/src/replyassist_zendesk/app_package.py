"""Package the ReplyAssist sidebar app as the zip Zendesk's "Upload private app" accepts.

Zendesk validates an uploaded app on its own servers (``zcli apps:validate`` posts the zip to the
account), which needs credentials and a network. :func:`package_app` runs the checks that matter
for this app locally first, so a broken manifest is caught in CI: required manifest fields, the
``ticket_sidebar`` location and its page, the two settings (the token secure), every file a page
references, the translation files, and no script or stylesheet loaded from elsewhere than the ZAF
SDK's own URL.

The sidebar's UI is shared with the Freshdesk app (``integrations/sidebar/``); its files are copied
into ``assets/`` here, so the zip is self-contained. Layout of the zip::

    manifest.json
    assets/iframe.html, main.js, sidebar.js, sidebar-i18n.js, sidebar.css, logo.png, logo-small.png, logo.svg
    translations/en.json, es.json, de.json
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

__all__ = ["SHARED_FILES", "ZAF_SDK_URL", "package_app", "validate_app"]

ZAF_SDK_URL = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
"""The one external script the app may load: the Zendesk Apps framework SDK."""

SHARED_FILES = ("sidebar.js", "sidebar-i18n.js", "sidebar.css")
"""Files of the shared sidebar UI copied into ``assets/``."""

_HERE = Path(__file__).resolve().parent
# A wheel carries the app as package data (app/ and sidebar/ next to this module); a source
# checkout has them at integrations/<helpdesk>/app and integrations/sidebar.
_APP_DIRS = (_HERE / "app", _HERE.parents[1] / "app")
_SHARED_DIRS = (_HERE / "sidebar", _HERE.parents[2] / "sidebar")
_PARAMETER_TYPES = {"text", "password", "checkbox", "url", "number", "multiline", "hidden", "oauth"}
_REQUIRED_SETTINGS = {"service_url": False, "service_token": True}  # name -> must be secure
_LOCALE = re.compile(r"^[a-z]{2}(-\w{2,3})?$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PUBLIC_APP_KEYS = ("name", "short_description", "long_description", "installation_instructions")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def package_app(
    output: Path,
    *,
    service_domain: str | None = None,
    app_dir: Path | None = None,
    shared_dir: Path | None = None,
) -> Path:
    """Check the app and write its upload zip.

    Args:
        output: the zip to write, or a directory to write ``replyassist-zendesk-<version>.zip`` in.
        service_domain: the ReplyAssist service's host (``replyassist.example.com``), added to the
            manifest's ``domainWhitelist``: Zendesk only substitutes the secure token for requests
            to whitelisted domains.
        app_dir: the app's source folder (default: ``integrations/zendesk/app`` of this checkout).
        shared_dir: the shared sidebar folder (default: ``integrations/sidebar``).

    Returns:
        The path of the zip written.

    Raises:
        ConfigurationError: listing every problem found; nothing is written then.
    """
    files = _collect(app_dir or _first_dir(_APP_DIRS), shared_dir or _first_dir(_SHARED_DIRS))
    if service_domain is not None:
        files["manifest.json"] = _whitelist(files.get("manifest.json", b""), service_domain)
    problems = validate_app(files)
    if problems:
        raise ConfigurationError("the Zendesk app is not valid:\n  - " + "\n  - ".join(problems))
    version = str(json.loads(files["manifest.json"]).get("version", "0"))
    target = Path(output)
    if target.is_dir() or not target.suffix:
        target = target / f"replyassist-zendesk-{version}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_TIME), files[name], zipfile.ZIP_DEFLATED)
    return target


def validate_app(files: dict[str, bytes]) -> list[str]:
    """Every problem with an app given as ``{path in the zip: content}``; empty when it is valid."""
    if "manifest.json" not in files:
        return ["manifest.json is missing from the app's root"]
    try:
        manifest = json.loads(files["manifest.json"])
    except ValueError as exc:
        return [f"manifest.json is not valid JSON: {exc}"]
    if not isinstance(manifest, dict):
        return ["manifest.json must be a JSON object"]
    checks = _Checks(files)
    checks.manifest_fields(manifest)
    checks.location(manifest)
    checks.parameters(manifest.get("parameters"))
    checks.translations(str(manifest.get("defaultLocale", "")), bool(manifest.get("private", True)))
    checks.logos()
    for name in sorted(files):
        if name.endswith(".html"):
            checks.page(name)
    return checks.problems


@dataclass
class _Checks:
    files: dict[str, bytes]
    problems: list[str] = field(default_factory=list)

    def manifest_fields(self, manifest: dict[str, Any]) -> None:
        for key in ("name", "author", "defaultLocale", "version", "frameworkVersion"):
            if not manifest.get(key):
                self.problems.append(f"manifest.json: {key!r} is required")
        author = manifest.get("author")
        if isinstance(author, dict):
            for key in ("name", "email"):
                if not author.get(key):
                    self.problems.append(f"manifest.json: author.{key} is required")
        elif author:
            self.problems.append("manifest.json: author must be an object with name, email and url")
        if manifest.get("frameworkVersion") not in (None, "", "2.0"):
            self.problems.append(
                f"manifest.json: frameworkVersion must be '2.0', not {manifest['frameworkVersion']!r}"
            )
        whitelist = manifest.get("domainWhitelist", [])
        if not isinstance(whitelist, list) or not all(isinstance(d, str) for d in whitelist):
            self.problems.append("manifest.json: domainWhitelist must be a list of domain names")

    def location(self, manifest: dict[str, Any]) -> None:
        support = manifest.get("location", {})
        support = support.get("support") if isinstance(support, dict) else None
        sidebar = support.get("ticket_sidebar") if isinstance(support, dict) else None
        if sidebar is None:
            self.problems.append("manifest.json: location.support.ticket_sidebar is required")
            return
        url = sidebar.get("url") if isinstance(sidebar, dict) else sidebar
        if not isinstance(url, str) or not url.startswith("assets/"):
            self.problems.append("manifest.json: the ticket_sidebar url must be a page under assets/")
        elif url not in self.files:
            self.problems.append(f"manifest.json: the ticket_sidebar page {url} is missing")
        if isinstance(sidebar, dict) and sidebar.get("flexible") not in (None, True, False):
            self.problems.append("manifest.json: ticket_sidebar.flexible must be true or false")

    def parameters(self, parameters: object) -> None:
        if not isinstance(parameters, list):
            self.problems.append("manifest.json: parameters must be a list")
            return
        seen: dict[str, dict[str, Any]] = {}
        for parameter in parameters:
            name = parameter.get("name") if isinstance(parameter, dict) else None
            if not isinstance(name, str) or not name:
                self.problems.append("manifest.json: every parameter needs a name")
                continue
            if name in seen:
                self.problems.append(f"manifest.json: parameter {name!r} is declared twice")
            if name == "name":
                self.problems.append("manifest.json: a parameter may not be called 'name'")
            if parameter.get("type") not in _PARAMETER_TYPES:
                self.problems.append(
                    f"manifest.json: parameter {name!r} has an unknown type {parameter.get('type')!r}"
                )
            seen[name] = parameter
        for name, must_be_secure in _REQUIRED_SETTINGS.items():
            if name not in seen:
                self.problems.append(f"manifest.json: the {name!r} parameter is required")
            elif must_be_secure and seen[name].get("secure") is not True:
                self.problems.append(f"manifest.json: the {name!r} parameter must be secure")
            elif seen[name].get("required") is not True:
                self.problems.append(f"manifest.json: the {name!r} parameter must be required")

    def translations(self, default_locale: str, private: bool) -> None:
        names = [n for n in self.files if n.startswith("translations/")]
        if f"translations/{default_locale}.json" not in self.files:
            self.problems.append(f"translations/{default_locale}.json (the defaultLocale) is missing")
        for name in sorted(names):
            locale = PurePosixPath(name).stem
            if not name.endswith(".json") or not _LOCALE.match(locale):
                self.problems.append(f"{name}: not a translation file (translations/<locale>.json)")
                continue
            try:
                data = json.loads(self.files[name])
            except ValueError as exc:
                self.problems.append(f"{name} is not valid JSON: {exc}")
                continue
            app = data.get("app") if isinstance(data, dict) else None
            if not isinstance(app, dict):
                self.problems.append(f"{name}: must be an object with an 'app' object")
                continue
            required = ("name",) if private and locale != "en" else _PUBLIC_APP_KEYS
            missing = [key for key in required if not app.get(key)]
            if missing:
                self.problems.append(f"{name}: app.{', app.'.join(missing)} missing")

    def logos(self) -> None:
        for name in ("assets/logo.png", "assets/logo-small.png"):
            content = self.files.get(name)
            if content is None:
                self.problems.append(f"{name} is missing")
            elif not content.startswith(_PNG_SIGNATURE):
                self.problems.append(f"{name} is not a PNG image")

    def page(self, name: str) -> None:
        collector = _References()
        collector.feed(self.files[name].decode("utf-8", errors="replace"))
        base = PurePosixPath(name).parent
        for kind, reference in collector.references:
            parts = urlsplit(reference)
            if parts.scheme or reference.startswith("//"):
                if not (kind == "script" and reference == ZAF_SDK_URL):
                    self.problems.append(
                        f"{name}: loads {reference} from outside the app (only the ZAF SDK may be)"
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
    """The zip's contents: the app folder plus the shared sidebar files in ``assets/``."""
    if not (app_dir / "manifest.json").is_file():
        raise ConfigurationError(
            f"no Zendesk app at {app_dir} (install from a source checkout, or a wheel that ships the app)"
        )
    files = {
        path.relative_to(app_dir).as_posix(): path.read_bytes()
        for path in sorted(app_dir.rglob("*"))
        if path.is_file()
        and not any(part.startswith(".") or part == "tmp" for part in path.relative_to(app_dir).parts)
    }
    for name in SHARED_FILES:
        source = shared_dir / name
        if not source.is_file():
            raise ConfigurationError(f"the shared sidebar file {source} is missing")
        files[f"assets/{name}"] = source.read_bytes()
    return files


def _whitelist(manifest_bytes: bytes, domain: str) -> bytes:
    """The manifest with ``domain`` in its ``domainWhitelist`` (once)."""
    host = domain.strip().lower()
    if "://" in host:
        host = urlsplit(host).hostname or ""
    if not _HOST.match(host):
        raise ConfigurationError(
            f"service_domain must be a host name like replyassist.example.com, not {domain!r}"
        )
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        return manifest_bytes  # validate_app reports it
    whitelist = manifest.get("domainWhitelist") or []
    if host not in whitelist:
        manifest["domainWhitelist"] = [*whitelist, host]
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _first_dir(candidates: tuple[Path, ...]) -> Path:
    """The first folder that exists (the last one if none does, for the error message)."""
    return next((path for path in candidates if path.is_dir()), candidates[-1])
