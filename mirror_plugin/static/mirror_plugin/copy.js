/* Copy buttons of the Image List: a button with data-mirror-copy="TEXT" puts TEXT on the
 * clipboard and says so in the page's live region ([data-mirror-copy-status]), so screen
 * reader users hear it too. Loaded as a file (no inline script) for the plugin's CSP.
 *
 * The Clipboard API needs a secure context (https, or localhost); elsewhere the reference is
 * selected instead, for Ctrl+C, and the status says that. Its sentences come from the page's
 * catalogue (i18n.js, loaded before it, as for spaces.js). */
(function () {
  "use strict";
  const _ = window.mirrorGettext;

  function say(text) {
    const status = document.querySelector("[data-mirror-copy-status]");
    if (status) status.textContent = text;
  }

  function selectBeside(button) {
    const text = button.parentElement && button.parentElement.querySelector(".mirror-ref__text");
    if (!text) return;
    const range = document.createRange();
    range.selectNodeContents(text);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copied(button) {
    const label = button.firstChild;
    const before = label.textContent;
    label.textContent = _("Copied");
    say(_("Copied %(reference)s", { reference: button.dataset.mirrorCopy }));
    window.setTimeout(function () { label.textContent = before; }, 1500);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-mirror-copy]");
    if (!button) return;
    const text = button.dataset.mirrorCopy;
    if (!navigator.clipboard || !window.isSecureContext) {
      selectBeside(button);
      say(_("Selected %(reference)s: press Ctrl+C to copy it.", { reference: text }));
      return;
    }
    navigator.clipboard.writeText(text).then(
      function () { copied(button); },
      function () {
        selectBeside(button);
        say(_("The browser refused the clipboard; %(reference)s is selected: press Ctrl+C.", { reference: text }));
      }
    );
  });
})();
