/* Integration form: "Test connection" without leaving the page, so the password typed stays in
 * its field for Save. The server never renders a password back (the field is write-only); the
 * value lives only in this page's input. Without JavaScript the form posts as before and the
 * result asks for the password once more. */
(function () {
  "use strict";
  const first = document.querySelector("form[data-mirror-integration-form]");
  if (!first || typeof fetch !== "function" || typeof DOMParser !== "function") return;

  function replaceWith(form, html) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const newForm = fresh.querySelector("form[data-mirror-integration-form]");
    if (!newForm) return false;
    const password = form.querySelector("input[name=password]");
    const newPassword = newForm.querySelector("input[name=password]");
    const oldVerdict = document.querySelector("[data-mirror-report]");
    const newVerdict = fresh.querySelector("[data-mirror-report]");
    if (newVerdict) {
      // The note asking to type the password again is for pages that reloaded; this did not.
      newVerdict.querySelectorAll("[data-mirror-password-note]").forEach(function (note) {
        note.remove();
      });
    }
    if (oldVerdict) oldVerdict.remove();
    if (newVerdict) form.parentNode.insertBefore(document.adoptNode(newVerdict), form);
    const adopted = document.adoptNode(newForm);
    if (password && adopted.querySelector("input[name=password]")) {
      adopted.querySelector("input[name=password]").value = password.value;
    }
    form.replaceWith(adopted);
    wire(adopted);
    const again = adopted.querySelector("button[name=action][value=test]");
    if (again) again.focus();
    return true;
  }

  function wire(target) {
    const button = target.querySelector("button[name=action][value=test]");
    if (!button) return;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      const body = new URLSearchParams(new FormData(target));
      body.set("action", "test");
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      // Not target.action: the buttons named "action" shadow that property.
      fetch(target.getAttribute("action") || window.location.href, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: body
      }).then(function (response) {
        return response.text();
      }).then(function (html) {
        if (!replaceWith(target, html)) postNormally();
      }).catch(postNormally);

      // Anything but the form back (a sign-in page, an error): let the browser post the test
      // itself and show what the server answers. The button names the action, never Save.
      function postNormally() {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        target.requestSubmit(button);
      }
    });
  }

  wire(first);
})();
