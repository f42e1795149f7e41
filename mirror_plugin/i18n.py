"""Chinese and English: the plugin's message catalogues, the locale of a request, and the
formatting of dates, numbers and relative times.

Why Flask-Babel: it is the maintained Flask extension over Babel (CLDR data, gettext
catalogues, ``pybabel extract``), and its :class:`flask_babel.Domain` lets an extension keep a
catalogue of its own beside a host that also uses Flask-Babel: the plugin never calls
``Babel(app)``, never replaces the host's ``locale_selector`` and never installs anything into
the host's Jinja ``_``. Two domains:

- ``mirror_plugin``: Python code (``_``, ``ngettext``, ``lazy_gettext``) and templates, where
  the functions are the Jinja globals ``_m`` and ``_mn`` (``_`` in the host's templates stays
  the host's own);
- ``mirror_plugin_js``: the scripts' strings, handed to them as a JSON catalogue in a
  ``data-mirror-i18n`` attribute (no inline script, so a strict CSP still holds).

The locale comes from the host: the adapter's optional ``locale()`` method, else the request's
``Accept-Language`` (any ``zh`` -> ``zh_Hans``, else ``en``); outside a request (the ``flask
mirror`` commands) from ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``. It is asked once per
request.

The catalogues ship as ``.po`` sources only and are compiled in memory the first time a
locale is used in a process (a few milliseconds): no ``.mo`` build step for an editable
install, a wheel or a checkout, and never a stale ``.mo`` beside a newer ``.po``.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import has_request_context, request
from flask_babel import Domain
from markupsafe import Markup

#: The catalogues the plugin has, the first being what the source strings are written in.
LOCALES = ("en", "zh_Hans")
DEFAULT_LOCALE = "en"
DOMAIN = "mirror_plugin"
JS_DOMAIN = "mirror_plugin_js"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: The value of ``<html lang>`` (BCP 47) for each locale.
HTML_LANG = {"en": "en", "zh_Hans": "zh-Hans"}


def normalize_locale(value: object) -> str | None:
    """One of :data:`LOCALES` for a language tag (``zh-CN``, ``zh_Hans``, ``en-US``,
    ``zh_CN.UTF-8``), ``None`` for a language the plugin has no catalogue of.

    Every Chinese tag is read as Simplified Chinese: the only Chinese catalogue, and closer to a
    Traditional Chinese reader than English is.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    primary = value.strip().replace("_", "-").split(".")[0].split("-")[0].lower()
    if primary == "zh":
        return "zh_Hans"
    if primary == "en":
        return "en"
    return None


def _from_accept_language() -> str:
    for tag, _quality in request.accept_languages:
        locale = normalize_locale(tag)
        if locale is not None:
            return locale
    return DEFAULT_LOCALE


def _from_environment() -> str:
    """The CLI's locale, as gettext reads it: LANGUAGE (a list), LC_ALL, LC_MESSAGES, LANG."""
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(key)
        if value:
            for tag in value.split(":"):
                locale = normalize_locale(tag)
                if locale is not None:
                    return locale
            return DEFAULT_LOCALE
    return DEFAULT_LOCALE


#: The locale outside requests: English until a ``flask mirror`` command reads the terminal's
#: (:func:`use_terminal_locale`). Reading the environment at every message would cost more
#: than the deploy hook's decision itself (check_image runs outside requests too).
_outside_requests = DEFAULT_LOCALE
#: Where a request keeps its locale (its environ, as ``auth._per_request`` does; not imported
#: from there: auth's own messages come from this module).
_ENVIRON_KEY = "mirror_plugin.locale"


def use_terminal_locale() -> None:
    """Speak the terminal's language outside requests from now on (the CLI group calls it)."""
    global _outside_requests
    _outside_requests = _from_environment()


def current_locale() -> str:
    """The locale of what the plugin is producing now (a page, a JSON message, a CLI line).

    On the deploy hook's path: asked for every sentence of a decision, so it is a dictionary
    lookup once the request's locale is known."""
    if not has_request_context():
        return _outside_requests
    environ = request.environ
    locale: str | None = environ.get(_ENVIRON_KEY)
    if locale is None:
        locale = environ[_ENVIRON_KEY] = _request_locale()
    return locale


def set_request_locale(locale: str) -> None:
    """Fix the current request's locale, whatever the adapter or the browser would choose: for
    callers that have no language of their own (the admission webhook, whose messages the API
    server hands to kubectl users of any language, is answered in English)."""
    request.environ[_ENVIRON_KEY] = locale


def _request_locale() -> str:
    from mirror_plugin.state import host_adapter

    choose: Callable[[], object] | None = getattr(host_adapter(), "locale", None)
    locale = normalize_locale(choose()) if choose is not None else None
    return locale or _from_accept_language()


def html_lang() -> str:
    """``<html lang="...">`` of the current locale."""
    return HTML_LANG[current_locale()]


@functools.cache
def catalogue(domain: str, locale: str, directory: Path = TRANSLATIONS) -> NullTranslations:
    """The compiled catalogue of ``domain`` in ``locale`` from ``directory``'s ``.po`` source,
    once per process (fuzzy entries are left out, as ``pybabel compile`` does)."""
    path = directory / locale / "LC_MESSAGES" / f"{domain}.po"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as source:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(source, locale=locale, domain=domain))
    compiled.seek(0)
    return Translations(compiled, domain=domain)


class CataloguedDomain(Domain):  # type: ignore[misc]  # flask_babel ships no types
    """Flask-Babel's domain, with the plugin's locale and catalogues compiled in memory.

    Flask-Babel's :meth:`Domain.get_translations` asks the app's ``Babel`` for the locale and
    loads ``.mo`` files; the plugin must not depend on the host having (or configuring) Babel,
    so it answers both itself. Formatting, lazy strings and plural handling stay Flask-Babel's.
    The demo console uses one for its own catalogue too, so it speaks the plugin's language.
    """

    def __init__(self, domain: str, directory: Path = TRANSLATIONS) -> None:
        super().__init__(domain=domain)
        self.directory = directory
        self._by_locale: dict[str, NullTranslations] = {}

    def get_translations(self) -> NullTranslations:
        locale = current_locale()
        found = self._by_locale.get(locale)
        if found is None:
            found = self._by_locale[locale] = catalogue(self.domain[0], locale, self.directory)
        return found


domain = CataloguedDomain(DOMAIN)
#: Flask-Babel is untyped; what it returns is the translated ``str``.
gettext: Callable[..., str] = domain.gettext
lazy_gettext = domain.lazy_gettext
_ = gettext


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue without translating it yet: for constants made at
    import, translated with :func:`gettext` where they are shown."""
    return message


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's ``ngettext``, with ``%(num)s`` written as the locale writes numbers
    (``12,345``): the count people read is as localised as the sentence around it."""
    variables.setdefault("num", format_number(num))
    text: str = domain.get_translations().ungettext(singular, plural, num)
    return text % variables


@functools.cache
def _js_messages(locale: str) -> str:
    """The script catalogue of ``locale`` as JSON: ``{"plural": n, "messages": {...}}``
    (a plural message is keyed by its singular and holds its forms)."""
    path = TRANSLATIONS / locale / "LC_MESSAGES" / f"{JS_DOMAIN}.po"
    messages: dict[str, Any] = {}
    plural = 2
    if path.is_file():
        with path.open("rb") as source:
            po = read_po(source, locale=locale, domain=JS_DOMAIN)
        plural = po.num_plurals
        for message in po:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple):
                forms = list(message.string or ())
                if all(forms):
                    messages[message.id[0]] = forms
            elif isinstance(message.id, str) and message.string:
                messages[message.id] = message.string
    return json.dumps({"plural": plural, "messages": messages}, ensure_ascii=False)


def js_catalogue() -> str:
    """The scripts' catalogue for the current locale (``data-mirror-i18n``, read by
    ``static/mirror_plugin/i18n.js``)."""
    return _js_messages(current_locale())


# -- dates, numbers, relative times --------------------------------------------------------


def _locale() -> Locale:
    return Locale.parse(current_locale())


def _aware(when: dt.datetime) -> dt.datetime:
    """Stored times are UTC; naive ones (SQLite) are read as UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def format_datetime(
    when: dt.datetime | str | None, empty: str = "", *, seconds: bool = False
) -> str:
    """A date and a 24-hour time in the current locale, in UTC (``Dec 1, 2026, 23:05 UTC``,
    ``2026年12月1日 23:05 UTC``): the locale's medium date, joined as the locale joins them.

    A string is a registry's ISO 8601 time (an artifact's push time, kept as the registry sent
    it): shown like the plugin's own times; one that is no such time is shown as it is."""
    if isinstance(when, str):
        shown = when
        try:
            when = dt.datetime.fromisoformat(shown.strip())
        except ValueError:
            return shown or empty
    if when is None:
        return empty
    locale = _locale()
    when = _aware(when).astimezone(dt.UTC)
    time = dates.format_time(when, "HH:mm:ss" if seconds else "HH:mm", tzinfo=dt.UTC, locale=locale)
    date = dates.format_date(when, "medium", locale=locale)
    return f"{str(locale.datetime_formats['medium']).format(time, date)} UTC"


def format_ago(when: dt.datetime | None, empty: str = "") -> str:
    """How long ago ``when`` was, in words of the current locale (``50 seconds ago``,
    ``50秒钟前``)."""
    if when is None:
        return empty
    # Never "in 0 seconds": a moment ago (or a clock a little ahead) reads "1 second ago".
    delta = min(_aware(when) - dt.datetime.now(dt.UTC), -dt.timedelta(seconds=1))
    return dates.format_timedelta(delta, add_direction=True, threshold=1, locale=_locale())


def format_number(number: float | int) -> str:
    """A number with the current locale's grouping (``12,345``)."""
    return numbers.format_decimal(number, locale=_locale())


def _markup_gettext(message: str, **variables: Any) -> Markup:
    """``_m`` in templates: the catalogue's text is the template's own (trusted, as the
    English literal it replaces was), the values put into it are escaped, as Jinja's i18n
    extension does."""
    return Markup(gettext(message)) % variables if variables else Markup(gettext(message))


def _markup_ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    """``_mn`` in templates: :func:`ngettext` with :func:`_markup_gettext`'s escaping."""
    variables.setdefault("num", format_number(num))
    text: str = domain.get_translations().ungettext(singular, plural, num)
    return Markup(text) % variables


def template_globals() -> dict[str, Any]:
    """What every template may call, the host's included (``_picker.html`` is imported by
    them): globals, since an imported macro sees no context processor."""
    return {
        "_m": _markup_gettext,
        "_mn": _markup_ngettext,
        "mirror_html_lang": html_lang,
        "mirror_js_catalogue": js_catalogue,
    }


TEMPLATE_FILTERS: dict[str, Callable[..., str]] = {
    "mirror_datetime": format_datetime,
    "mirror_ago": format_ago,
    "mirror_number": format_number,
}
