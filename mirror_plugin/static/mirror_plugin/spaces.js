/* Warehouse Space page: Bind Workspace as a dialog with a searchable multi-select.
 * Without JavaScript the button is a link to the bind page; this only enhances it. */
(function () {
  "use strict";
  /* Searchable checklists (the batch's workspaces): typing hides the rows that do not match;
   * ticked boxes stay ticked while hidden. */
  document.querySelectorAll("[data-filter-search]").forEach(function (input) {
    const list = document.getElementById(input.dataset.filterSearch);
    if (!list) return;
    input.addEventListener("input", function () {
      const needle = input.value.trim().toLowerCase();
      list.querySelectorAll("label[data-search]").forEach(function (label) {
        label.hidden = needle !== "" && label.dataset.search.indexOf(needle) === -1;
      });
    });
  });
})();

(function () {
  "use strict";
  const dialog = document.getElementById("mirror-bind-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const list = dialog.querySelector("[data-dialog-list]");
  const search = dialog.querySelector("[data-dialog-search]");
  const status = dialog.querySelector("[data-dialog-status]");
  const title = dialog.querySelector("[data-dialog-space]");
  const ok = dialog.querySelector("[data-dialog-ok]");
  const names = JSON.parse(list.dataset.workspaces || "{}");
  const csrf = document.querySelector('meta[name="mirror-csrf"]').content;
  const api = document.querySelector('meta[name="mirror-api"]').content;
  const _ = window.mirrorGettext;
  let row = null;

  /* Registry text with hidden characters written as escapes (visible.js). */
  const visible = window.mirrorVisible;

  function render(selected) {
    list.textContent = "";
    Object.keys(names).forEach(function (id) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = id;
      box.checked = selected.has(id);
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + visible(names[id])));
      label.dataset.search = (names[id] + " " + id).toLowerCase();
      list.appendChild(label);
    });
  }

  function filter() {
    const needle = search.value.trim().toLowerCase();
    list.querySelectorAll("label").forEach(function (label) {
      label.hidden = needle !== "" && label.dataset.search.indexOf(needle) === -1;
    });
  }

  function chosen() {
    return Array.from(list.querySelectorAll("input:checked")).map(function (box) { return box.value; });
  }

  function showWorkspaces(cell, ids) {
    cell.textContent = "";
    // A space the workspace's own warehouse opens says so beside this cell: not "No binding".
    if (!ids.length && cell.parentNode.querySelector(".mirror-chip--via")) return;
    if (!ids.length) {
      const none = document.createElement("span");
      none.className = "mirror-muted";
      none.textContent = _("No binding");
      cell.appendChild(none);
      return;
    }
    ids.forEach(function (id) {
      const chip = document.createElement("span");
      chip.className = "mirror-chip";
      chip.dataset.workspaceId = id;
      chip.textContent = visible(names[id] || id);
      cell.appendChild(chip);
    });
  }

  function announce(text, kind) {
    const note = document.createElement("div");
    note.className = "mirror-flash mirror-flash--" + kind;
    note.setAttribute("role", kind === "error" ? "alert" : "status");
    note.textContent = visible(text);
    const table = document.querySelector("[data-mirror-spaces]");
    table.parentNode.insertBefore(note, table);
  }

  function label(ids) {
    return ids.map(function (id) { return names[id] || id; }).join(", ");
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-bind-dialog]");
    if (!link) return;
    event.preventDefault();
    row = link.closest("tr");
    title.textContent = visible(_("Space %(space)s: choose the workspaces that may use it.", { space: row.dataset.spaceName }));
    render(new Set(JSON.parse(link.dataset.bound || "[]")));
    search.value = "";
    status.textContent = "";
    dialog.showModal();
    search.focus();
  });

  search.addEventListener("input", filter);

  ok.addEventListener("click", function () {
    const spaceId = row.dataset.spaceId;
    ok.disabled = true;
    status.textContent = _("Saving…");
    fetch(api + "/spaces/" + spaceId + "/workspaces", {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Mirror-CSRF": csrf },
      body: JSON.stringify({ workspaces: chosen() })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      ok.disabled = false;
      if (!result.ok) {
        status.textContent = visible((result.body.error && result.body.error.message) || _("Binding failed."));
        return;
      }
      const change = result.body;
      showWorkspaces(row.querySelector("[data-workspaces]"), change.workspaces);
      row.querySelector("[data-bind-dialog]").dataset.bound = JSON.stringify(change.workspaces);
      const parts = [];
      if (change.bound.length) parts.push(_("Bound %(space)s to %(names)s.", { space: change.space, names: label(change.bound) }));
      if (change.unbound.length) parts.push(_("Unbound %(space)s from %(names)s.", { space: change.space, names: label(change.unbound) }));
      announce(parts.join(" ") || _("No change: %(space)s keeps its bindings.", { space: change.space }), "success");
      dialog.close();
    }).catch(function () {
      ok.disabled = false;
      status.textContent = _("The server could not be reached; nothing was changed.");
    });
  });
})();
