// The page: projects, samples, readiness, training; wires the sections to the API.
import { call, hasToken, setToken, takeTokenFromUrl } from "./api.js";
import { cancelJob, downloadBundle, hideJob, loadLog, record, renderJobs, resumeJob, showJob, startJob, tryClip } from "./jobs.js";
import { filesOfDrop, importFolder, renderSamples, upload } from "./samples.js";
import { $, el, guarded, hideMessage, showError } from "./ui.js";

let recipes = [];
let project = null;

async function boot() {
  takeTokenFromUrl();
  if (!hasToken()) { signIn(); return; }
  const health = await guarded("connecting", () => call("GET", "/health"));
  if (!health) return;
  $("#token-box").classList.add("hidden");
  $("#main").classList.remove("hidden");
  $("#server-info").textContent = `soundry ${health.version} · uploads up to ${health.max_upload_mb} MB`;
  recipes = (await guarded("listing recipes", () => call("GET", "/recipes"))) || [];
  $("#project-recipe").replaceChildren(...recipes.map((r) => el("option", { value: r.name }, r.name)));
  await renderProjects();
}

function signIn() {
  $("#main").classList.add("hidden");
  $("#token-box").classList.remove("hidden");
}

async function renderProjects() {
  const list = await guarded("listing projects", () => call("GET", "/projects"));
  if (!list) return;
  $("#project-list").replaceChildren(...list.map((p) => el("li",
    { dataset: { id: p.id }, class: project && project.id === p.id ? "selected" : "" },
    el("button", { class: "link open-project", onclick: () => openProject(p) }, p.name),
    el("span", { class: "muted" }, `${p.recipe} · ${p.samples} samples`),
    el("button", { class: "link danger delete-project", onclick: () => deleteProject(p) }, "delete"))));
  if (!project && list.length === 1) openProject(list[0]);
}

async function openProject(p) {
  project = p;
  hideJob();
  $("#project-view").classList.remove("hidden");
  $("#project-title").textContent = `${p.name} (${p.recipe})`;
  const presets = (recipes.find((r) => r.name === p.recipe) || { presets: [] }).presets;
  $("#preset-select").replaceChildren(...presets.map((n) => el("option", { value: n }, n)));
  $("#readiness-verdict").textContent = "";
  $("#readiness-reasons").replaceChildren();
  $("#readiness-table tbody").replaceChildren();
  await Promise.all([renderProjects(), renderSamples(p.id)]);
  const jobs = await renderJobs(p.id);
  if (jobs.length) showJob(jobs[jobs.length - 1]);
}

async function deleteProject(p) {
  if (!confirm(`Delete project "${p.name}" with its samples and results?`)) return;
  const ok = await guarded("deleting the project", () => call("DELETE", `/projects/${p.id}`));
  if (!ok) return;
  if (project && project.id === p.id) { project = null; hideJob(); $("#project-view").classList.add("hidden"); }
  renderProjects();
}

async function createProject(event) {
  event.preventDefault();
  const name = $("#project-name").value.trim();
  const p = await guarded("creating the project", () =>
    call("POST", "/projects", { json: { name, recipe: $("#project-recipe").value } }));
  if (!p) return;
  $("#project-name").value = "";
  await openProject(p);
}

async function checkReadiness() {
  if (!project) return;
  $("#readiness-verdict").textContent = "checking…";
  $("#readiness-verdict").className = "verdict";
  const preset = $("#preset-select").value;
  const r = await guarded("the readiness check", () =>
    call("GET", `/projects/${project.id}/readiness${preset ? `?preset=${encodeURIComponent(preset)}` : ""}`));
  if (!r) { $("#readiness-verdict").textContent = ""; return; }
  $("#readiness-verdict").textContent = r.ready ? "Ready to train" : "Not ready";
  $("#readiness-verdict").className = `verdict ${r.ready ? "ready" : "not-ready"}`;
  $("#readiness-reasons").replaceChildren(...r.reasons.map((t) => el("li", {}, t)));
  $("#readiness-table tbody").replaceChildren(...Object.entries(r.labels).map(([name, row]) => el("tr", {},
    el("td", {}, name), el("td", {}, row.files), el("td", {}, row.minutes.toFixed(2)),
    el("td", {}, row.quality === null ? "–" : row.quality.toFixed(2)), el("td", {}, row.ready ? "yes" : "no"),
    el("td", {}, row.problems.join("; ")))));
}

function samplesChanged() { renderSamples(project.id); renderProjects(); }

function wireDrop(zone, onItems) {
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    try { await onItems(e.dataTransfer); } catch (err) { showError(err, "reading the dropped files"); }
  });
}

function wire() {
  $("#message-close").addEventListener("click", hideMessage);
  $("#token-save").addEventListener("click", () => { setToken($("#token-input").value.trim()); hideMessage(); boot(); });
  document.addEventListener("soundry:unauthorized", signIn);
  document.addEventListener("soundry:jobs-changed", () => project && renderJobs(project.id));
  $("#project-form").addEventListener("submit", createProject);
  const looseLabel = () => $("#label-input").value.trim() || "default";
  wireDrop($("#dropzone"), async (dt) => upload(project.id, await filesOfDrop(dt, looseLabel()), samplesChanged));
  $("#file-input").addEventListener("change", (e) =>
    upload(project.id, [...e.target.files].map((file) => ({ file, label: looseLabel() })), samplesChanged));
  $("#folder-input").addEventListener("change", (e) => {
    const items = [...e.target.files].map((file) => {
      const parts = file.webkitRelativePath.split("/");
      return { file, label: parts.length >= 3 ? parts[parts.length - 2] : looseLabel() };
    });
    upload(project.id, items, samplesChanged);
  });
  $("#import-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const folder = $("#import-folder").value.trim();
    if (folder) importFolder(project.id, folder, samplesChanged);
  });
  $("#readiness-check").addEventListener("click", checkReadiness);
  $("#train-button").addEventListener("click", () => startJob(project.id, () => renderJobs(project.id)));
  $("#job-cancel").addEventListener("click", cancelJob);
  $("#job-resume").addEventListener("click", resumeJob);
  $("#log-refresh").addEventListener("click", loadLog);
  $("#log-box").addEventListener("toggle", () => $("#log-box").open && loadLog());
  $("#download-bundle").addEventListener("click", downloadBundle);
  $("#try-input").addEventListener("change", (e) => e.target.files[0] && tryClip(e.target.files[0], e.target.files[0].name));
  wireDrop($("#try-drop"), async (dt) => { const f = dt.files[0]; if (f) await tryClip(f, f.name); });
  $("#record-button").addEventListener("click", () => record(3));
}

wire();
boot();
