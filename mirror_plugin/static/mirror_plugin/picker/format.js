/* Sizes, ages and digests as a person reads them in the picker's rows, in the page's
 * language (Intl where the browser has it). */
import { el } from "./dom.js";
import { _, LANG } from "./i18n.js";

export function humanSize(bytes) {
  if (bytes === null || bytes === undefined || isNaN(bytes)) return null;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return (unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1)) + " " + units[unit];
}

const relative = typeof Intl !== "undefined" && Intl.RelativeTimeFormat
  ? new Intl.RelativeTimeFormat(LANG, { numeric: "auto" })
  : null;

export function ago(seconds) {
  if (seconds === null || seconds === undefined) return null;
  const steps = [[60, "second", 1], [3600, "minute", 60], [86400, "hour", 3600], [Infinity, "day", 86400]];
  if (seconds < 45) return _("just now");
  for (let i = 0; i < steps.length; i += 1) {
    if (seconds < steps[i][0]) {
      const n = Math.max(1, Math.round(seconds / steps[i][2]));
      return relative ? relative.format(-n, steps[i][1]) : _("%(num)s %(unit)s ago", { num: n, unit: steps[i][1] });
    }
  }
  return null;
}

/* A <time>: "5 minutes ago" for the last 30 days, the date before; the full time on hover. */
export function when(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  if (isNaN(date.getTime())) return null;
  const seconds = (Date.now() - date.getTime()) / 1000;
  const text = seconds >= -300 && seconds < 30 * 86400
    ? ago(Math.max(0, seconds))
    : date.toISOString().slice(0, 10);
  return el("time", { datetime: iso, title: date.toLocaleString(), text: text });
}

export function shortDigest(digest) {
  if (!digest) return "";
  const parts = digest.split(":");
  return parts.length === 2 ? parts[0] + ":" + parts[1].slice(0, 12) : digest.slice(0, 19);
}
