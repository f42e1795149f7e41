/* The scripts' strings in the user's language, shared by the picker (picker/i18n.js), spaces.js,
 * copy.js and integration_form.js (loaded, defer, before them).
 *
 * The server puts the catalogue of the page's locale (domain mirror_plugin_js, see
 * mirror_plugin/i18n.py) in a data-mirror-i18n attribute of the picker and of the plugin's
 * pages: {"plural": n, "messages": {msgid: text, singular: [forms...]}}. An attribute, not an
 * inline script, so a strict Content-Security-Policy holds. A message missing from it (English,
 * or a page without the attribute) is shown as written. Placeholders are %(name)s, as in the
 * Python catalogue. */
(function () {
  "use strict";
  let catalogue = null;

  function load() {
    if (catalogue) return catalogue;
    catalogue = { plural: 2, messages: {} };
    const holder = document.querySelector("[data-mirror-i18n]");
    if (holder) {
      try {
        catalogue = JSON.parse(holder.getAttribute("data-mirror-i18n")) || catalogue;
      } catch (error) {
        /* A broken attribute leaves the strings in English rather than breaking the page. */
      }
    }
    return catalogue;
  }

  function format(text, vars) {
    if (!vars) return text;
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
    });
  }

  window.mirrorGettext = function (msgid, vars) {
    const text = load().messages[msgid];
    return format(typeof text === "string" ? text : msgid, vars);
  };

  /* English and Chinese only need "one or other" (nplurals 2) and "one form" (nplurals 1). */
  window.mirrorNgettext = function (singular, plural, n, vars) {
    const data = load();
    const forms = data.messages[singular];
    const index = data.plural === 1 ? 0 : (n === 1 ? 0 : 1);
    const text = Array.isArray(forms) && forms[index] ? forms[index] : (n === 1 ? singular : plural);
    return format(text, Object.assign({ num: n }, vars || {}));
  };
})();
