// The HTTP API from the page: bearer token, JSON calls, clear errors, Server-Sent Events over fetch.
// The token arrives in the login URL's fragment (#token=...), never sent to the server, and is
// kept in this tab's session storage. EventSource cannot send headers, so events use fetch streams.

const KEY = "soundry-token";
let token = sessionStorage.getItem(KEY);

export class ApiError extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

export function takeTokenFromUrl() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    setToken(decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return token;
}

export function setToken(value) { token = value; sessionStorage.setItem(KEY, value); }
export function hasToken() { return !!token; }

function headers(extra = {}) {
  return token ? { Authorization: `Bearer ${token}`, ...extra } : extra;
}

async function errorOf(resp) {
  let message = `${resp.status} ${resp.statusText}`;
  let body = null;
  try {
    body = await resp.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch (_) { /* not JSON: keep the status line */ }
  return new ApiError(resp.status, message, body);
}

export async function call(method, path, { json, form, raw, signal } = {}) {
  const init = { method, headers: headers(), signal };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  let resp;
  try {
    resp = await fetch(`/api${path}`, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, `cannot reach the server (${err.message}); is soundry serve running?`);
  }
  if (!resp.ok) throw await errorOf(resp);
  if (raw) return resp;
  const type = resp.headers.get("content-type") || "";
  return type.includes("application/json") ? resp.json() : resp.text();
}

// Fetch a protected file and give back an object URL for <audio> or a download link.
export async function blobUrl(path) {
  const resp = await call("GET", path, { raw: true });
  return URL.createObjectURL(await resp.blob());
}

// Read a Server-Sent Events stream; calls onEvent(name, data) until the stream ends or is aborted.
export async function events(path, onEvent, signal) {
  const resp = await call("GET", path, { raw: true, signal });
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trim());
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}
