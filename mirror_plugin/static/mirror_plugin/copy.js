/* Copy buttons of the Image List: a button with data-mirror-copy="TEXT" puts TEXT on the
 * clipboard and says so in the page's live region ([data-mirror-copy-status]), so screen
 * reader users hear it too. Loaded as a file (no inline script) for the plugin's CSP.
 *
 * The Clipboard API needs a secure context (https, or localhost); elsewhere the reference is
 * selected instead, for Ctrl+C, and the status says that. */
(function () {
  "use strict";

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
    label.textContent = "Copied";
    say("Copied " + button.dataset.mirrorCopy);
    window.setTimeout(function () { label.textContent = before; }, 1500);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-mirror-copy]");
    if (!button) return;
    const text = button.dataset.mirrorCopy;
    if (!navigator.clipboard || !window.isSecureContext) {
      selectBeside(button);
      say("Selected " + text + ": press Ctrl+C to copy it.");
      return;
    }
    navigator.clipboard.writeText(text).then(
      function () { copied(button); },
      function () {
        selectBeside(button);
        say("The browser refused the clipboard; " + text + " is selected: press Ctrl+C.");
      }
    );
  });
})();
