// Samples: drag-and-drop of files and folders, upload in batches per label, import of a server
// folder, list, play, relabel, delete.
import { blobUrl, call } from "./api.js";
import { $, el, fmtSeconds, guarded, showError, showMessage } from "./ui.js";

const BATCH = 16;

// Files of a drop: real OS drops give directory entries; files chosen by a folder input or
// made by scripts carry webkitRelativePath. Returns [{file, label}].
export async function filesOfDrop(dataTransfer, looseLabel) {
  const out = [];
  const entries = [];
  for (const item of dataTransfer.items || []) {
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else if (item.kind === "file") { const f = item.getAsFile(); if (f) out.push(labelled(f, f.webkitRelativePath, looseLabel)); }
  }
  for (const entry of entries) await walk(entry, out, looseLabel);
  if (!entries.length && !out.length) for (const f of dataTransfer.files || []) out.push(labelled(f, f.webkitRelativePath, looseLabel));
  return out;
}

function labelled(file, relPath, looseLabel) {
  const parts = (relPath || "").split("/").filter(Boolean);
  // "corpus/alice/x.wav" -> alice; "alice/x.wav" -> alice; "x.wav" -> the loose-files label
  const label = parts.length >= 2 ? parts[parts.length - 2] : looseLabel;
  return { file, label };
}

function walk(entry, out, looseLabel) {
  return new Promise((resolve) => {
    if (entry.isFile) {
      entry.file((f) => { out.push(labelled(f, entry.fullPath, looseLabel)); resolve(); }, () => resolve());
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      const all = [];
      const more = () => reader.readEntries(async (batch) => {
        if (batch.length) { all.push(...batch); more(); return; }
        for (const e of all) await walk(e, out, looseLabel);
        resolve();
      }, () => resolve());
      more();
    } else resolve();
  });
}

export async function upload(projectId, items, onDone) {
  const hidden = items.filter((it) => it.file.name.startsWith("."));
  items = items.filter((it) => !it.file.name.startsWith("."));
  const byLabel = new Map();
  for (const it of items) (byLabel.get(it.label) || byLabel.set(it.label, []).get(it.label)).push(it.file);
  const status = $("#upload-status");
  const totals = { added: 0, duplicate: 0, rejected: 0 };
  const problems = [];
  let sent = 0;
  for (const [label, files] of byLabel) {
    for (let i = 0; i < files.length; i += BATCH) {
      const form = new FormData();
      form.append("label", label);
      for (const f of files.slice(i, i + BATCH)) form.append("files", f, f.name);
      status.textContent = `uploading ${sent}/${items.length} files…`;
      try {
        const res = await call("POST", `/projects/${projectId}/samples`, { form });
        collect(res, totals, problems);
      } catch (err) {
        if (err.body && err.body.results) collect(err.body, totals, problems);
        else { showError(err, "upload"); status.textContent = ""; return; }
      }
      sent += Math.min(BATCH, files.length - i);
    }
  }
  status.textContent = `uploaded: ${totals.added} added, ${totals.duplicate} duplicates, ` +
    `${totals.rejected} rejected${hidden.length ? `, ${hidden.length} hidden files skipped` : ""}`;
  if (problems.length) showMessage(`some files were not added: ${problems.slice(0, 5).join("; ")}` +
    (problems.length > 5 ? ` … and ${problems.length - 5} more` : ""));
  onDone();
}

function collect(res, totals, problems) {
  for (const k of Object.keys(totals)) totals[k] += res[k] || 0;
  for (const r of res.results || []) if (r.status === "rejected") problems.push(`${r.file}: ${r.error}`);
}

export async function renderSamples(projectId) {
  const rows = await guarded("listing samples", () => call("GET", `/projects/${projectId}/samples`));
  if (!rows) return;
  const body = $("#samples-table tbody");
  body.replaceChildren(...rows.map((s) => el("tr", { dataset: { id: s.id } },
    el("td", {}, s.label), el("td", {}, s.filename), el("td", {}, fmtSeconds(s.duration)),
    el("td", {}, s.quality === null ? "–" : s.quality.toFixed(2)),
    el("td", {},
      el("button", { class: "link play", onclick: () => play(s) }, "play"),
      el("button", { class: "link relabel", onclick: () => relabel(projectId, s) }, "relabel"),
      el("button", { class: "link danger delete", onclick: () => remove(projectId, s) }, "delete")))));
  const seconds = rows.reduce((a, s) => a + (s.duration || 0), 0);
  const labels = new Set(rows.map((s) => s.label));
  $("#samples-summary").textContent = `${rows.length} samples, ${labels.size} labels, ${fmtSeconds(seconds)} of audio`;
}

let player = null;
async function play(sample) {
  const url = await guarded("playing", () => blobUrl(`/samples/${sample.id}/audio`));
  if (!url) return;
  if (player) { player.pause(); URL.revokeObjectURL(player.src); }
  player = new Audio(url);
  player.play().catch((err) => showError(err, "playing"));
}

async function relabel(projectId, sample) {
  const label = (window.prompt(`New label for ${sample.filename}`, sample.label) || "").trim();
  if (!label || label === sample.label) return;
  const ok = await guarded("relabelling", () => call("PATCH", `/samples/${sample.id}`, { json: { label } }));
  if (ok) renderSamples(projectId);
}

// Import a folder that lies on the server (only under the roots it was started with).
export async function importFolder(projectId, folder, onDone) {
  const status = $("#upload-status");
  status.textContent = `importing ${folder}…`;
  const res = await guarded("importing", () => call("POST", `/projects/${projectId}/import`, { json: { folder } }));
  if (!res) { status.textContent = ""; return; }
  const problems = [];
  const totals = { added: 0, duplicate: 0, rejected: 0 };
  collect(res, totals, problems);
  status.textContent = `imported: ${totals.added} added, ${totals.duplicate} duplicates, ${totals.rejected} rejected`;
  if (problems.length) showMessage(`some files were not added: ${problems.slice(0, 5).join("; ")}` +
    (problems.length > 5 ? ` … and ${problems.length - 5} more` : ""));
  onDone();
}

async function remove(projectId, sample) {
  const ok = await guarded("deleting", () => call("DELETE", `/samples/${sample.id}`));
  if (ok) renderSamples(projectId);
}
