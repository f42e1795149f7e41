/* Select Image: the picker a host's deploy form opens beside its image input; the entry module
 * that mirror_plugin/_picker.html loads (<script type="module">, after ../visible.js and
 * ../i18n.js, which it uses).
 *
 * Every <button data-mirror-picker> gets its own dialog, built on first use (picker.js). Tabs
 * Public / Private / Workspace warehouses; registry → space → repository → tag with a filter
 * at each level, a breadcrumb and "More"; a search across every visible repository; "Can't
 * find your image?" runs the FAQ checks. Choosing fills the input with host/space/repo:tag or
 * host/space/repo@sha256:…, fires input and change, closes the dialog and gives focus back to
 * the button. No inline script or handler anywhere, and every module comes from the plugin's
 * static folder: a Content-Security-Policy of script-src 'self' allows them all.
 *
 * A module runs once per page however often the macro emits its <script>; a host that adds
 * picker buttons later calls window.mirrorPicker.init() to wire them. */
import { Picker } from "./picker.js";

function init(root) {
  (root || document).querySelectorAll("[data-mirror-picker]").forEach(function (button) {
    if (button.mirrorPicker) return;
    button.mirrorPicker = new Picker(button);
  });
}

window.mirrorPicker = { init: init };
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
else init();
