/* The keyboard inside the dialog: arrows, Home and End move between the tabs (one tab stop,
 * as a tablist should); Up and Down move between the rows of a list. */
import { TABS } from "./tabs.js";

export const keyMethods = {
  onTabKey(event) {
    const keys = TABS.map(function (t) { return t.key; });
    let index = keys.indexOf(this.tab);
    if (event.key === "ArrowRight") index = (index + 1) % keys.length;
    else if (event.key === "ArrowLeft") index = (index + keys.length - 1) % keys.length;
    else if (event.key === "Home") index = 0;
    else if (event.key === "End") index = keys.length - 1;
    else return;
    event.preventDefault();
    this.selectTab(keys[index], true);
  },

  /* Up and Down move between the rows of a list (Tab works too). */
  onListKey(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const current = event.target.closest && event.target.closest("[data-row-action]");
    if (!current) return;
    const all = Array.prototype.slice.call(this.panel.querySelectorAll("[data-row-action]"));
    const next = all[all.indexOf(current) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  }
};
