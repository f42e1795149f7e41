/* The picker's words in the user's language. The catalogue itself is read by ../i18n.js, a
 * classic script the plugin's other pages share (loaded, defer, before this module), which
 * sets window.mirrorGettext and window.mirrorNgettext; a message stays English when the
 * catalogue has none. */

export const _ = window.mirrorGettext || function (text, vars) {
  return text.replace(/%\((\w+)\)s/g, function (whole, name) { return vars && name in vars ? vars[name] : whole; });
};

export const ngettext = window.mirrorNgettext || function (one, many, n, vars) {
  return _(n === 1 ? one : many, Object.assign({ num: n }, vars || {}));
};

/* The page's language (the picker's lang attribute), for dates and relative times. */
export const LANG = (document.querySelector("[data-mirror-i18n]") || document.documentElement).getAttribute("lang") || "en";
