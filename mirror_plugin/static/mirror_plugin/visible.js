/* Registry-supplied text as a person may safely read it, shared by the picker (picker/dom.js)
 * and spaces.js.
 *
 * Names come from registries (a tenant's input): bidi overrides and isolates, zero-width and
 * control characters in them would be invisible, or reorder what is shown, so they are written
 * as escapes: U+202E becomes \u202e. The same set as mirror_plugin/display.py (HIDDEN); tab and
 * line feed stay. Loaded (defer) before the scripts that use window.mirrorVisible. */
(function () {
  "use strict";
  const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

  window.mirrorVisible = function (text) {
    return String(text).replace(HIDDEN, function (ch) {
      const code = ch.codePointAt(0);
      return code > 0xffff ? "\\U" + code.toString(16).padStart(8, "0")
        : "\\u" + code.toString(16).padStart(4, "0");
    });
  };
})();
