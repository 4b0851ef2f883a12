// Small DOM helpers and the one message banner every error goes through.

export const $ = (sel) => document.querySelector(sel);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

export function showMessage(text, kind = "error") {
  const box = $("#message");
  $("#message-text").textContent = text;
  box.classList.toggle("info", kind === "info");
  box.classList.remove("hidden");
}

export function hideMessage() { $("#message").classList.add("hidden"); }

// Every failed call ends here: the API's own message, with the HTTP status when there is one.
export function showError(err, what = "") {
  if (err && err.name === "AbortError") return;
  const status = err && err.status ? `${err.status}: ` : "";
  showMessage(`${what ? what + " failed: " : ""}${status}${err && err.message ? err.message : err}`);
  if (err && err.status === 401) document.dispatchEvent(new CustomEvent("soundry:unauthorized"));
}

export function fmtSeconds(s) {
  if (s === null || s === undefined || !isFinite(s)) return "?";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? h + ":" : ""}${mm}:${String(sec).padStart(2, "0")}`;
}

export function fmtNumber(v) {
  if (typeof v !== "number") return String(v);
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3);
}

export async function guarded(what, fn) {
  try { return await fn(); } catch (err) { showError(err, what); return undefined; }
}
