"""Registry-supplied text made safe to show: invisible and direction-changing characters
become visible escapes.

Names of spaces, repositories and tags, descriptions and error texts come from registries,
and a registry is a tenant's input (a Workspace Admin can connect one they control). HTML
escaping stops markup but not a U+202E RIGHT-TO-LEFT OVERRIDE, which makes ``alpha-gpj.exe``
read as ``alpha-exe.jpg``, nor zero-width or control characters that make two different
names look alike. Such characters are rendered as ``\\u202e`` (``\\U000e0041`` beyond the
BMP) so a reader sees that they are there. The picker and ``spaces.js`` apply the same
rule (``static/mirror_plugin/visible.js``) where they put registry text into the page.

Tab and line feed stay: they are plain whitespace in HTML and occur in multi-line error
texts and descriptions.
"""

from __future__ import annotations

import re

#: C0 controls but tab and line feed, DEL and C1, soft hyphen, Arabic letter mark, Mongolian
#: vowel separator, zero-width space/joiners and LRM/RLM, line/paragraph separators, bidi
#: embeddings and overrides (U+202A-202E), invisible operators and bidi isolates
#: (U+2060-206F), the byte-order mark, interlinear annotations and tag characters.
#: Keep in step with HIDDEN in static/mirror_plugin/visible.js.
HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(value: object) -> str:
    """``value`` as text with every :data:`HIDDEN` character written as an escape.

    ``None`` is the empty string (templates pass optional fields straight in). The result is
    still plain text: Jinja's autoescaping applies to it as to any other string.
    """
    if value is None:
        return ""
    return HIDDEN.sub(_escape, str(value))
