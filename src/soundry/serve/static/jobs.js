// Jobs: start, live progress (Server-Sent Events), loss chart, log, cancel/resume, results and try-it.
import { blobUrl, call, events } from "./api.js";
import { drawLine } from "./chart.js";
import { $, el, fmtNumber, fmtSeconds, guarded, showError } from "./ui.js";

const ACTIVE = ["queued", "preparing", "training", "exporting"];
let watching = null;   // {id, controller}
let current = null;    // the job shown in the panel

export async function startJob(projectId, onChange) {
  const preset = $("#preset-select").value || null;
  const overrides = $("#overrides-input").value.split(/\s+/).filter(Boolean);
  const job = await guarded("starting training", () =>
    call("POST", `/projects/${projectId}/jobs`, { json: { preset, overrides } }));
  if (!job) return;
  await onChange();
  showJob(job);
}

export async function renderJobs(projectId) {
  const jobs = await guarded("listing jobs", () => call("GET", `/jobs?project=${projectId}`));
  if (!jobs) return [];
  $("#jobs-list").replaceChildren(...jobs.slice().reverse().map((j) => el("li",
    { dataset: { id: j.id }, class: current && current.id === j.id ? "selected" : "" },
    el("button", { class: "link", onclick: () => showJob(j) }, j.id),
    el("span", { class: `state ${j.state}` }, j.state),
    el("span", { class: "muted" }, `${j.preset || "default"} · ${new Date(j.created * 1000).toLocaleString()}`))));
  return jobs;
}

export function hideJob() {
  if (watching) watching.controller.abort();
  watching = current = null;
  $("#job-panel").classList.add("hidden");
  $("#results").classList.add("hidden");
}

export function showJob(job) {
  $("#job-panel").classList.remove("hidden");
  render(job);
  watch(job.id);
}

function watch(jobId) {
  if (watching && watching.id === jobId) return;
  if (watching) watching.controller.abort();
  const controller = new AbortController();
  watching = { id: jobId, controller };
  const done = () => { if (watching && watching.id === jobId) watching = null; };
  events(`/jobs/${jobId}/events`, (name, data) => {
    if (name === "status") render(data);
    if (name === "end") refresh(jobId);
  }, controller.signal).then(done, (err) => {
    done();
    if (err.name !== "AbortError") { showError(err, "following the job"); setTimeout(() => refresh(jobId), 2000); }
  });
}

async function refresh(jobId) {
  const job = await guarded("reading the job", () => call("GET", `/jobs/${jobId}`));
  if (!job) return;
  render(job);
  document.dispatchEvent(new CustomEvent("soundry:jobs-changed"));
  if (ACTIVE.includes(job.state)) watch(jobId);
}

function render(job) {
  const changed = !current || current.state !== job.state;
  current = job;
  const p = job.progress || {};
  $("#job-id").textContent = job.id;
  const state = $("#job-state");
  state.textContent = job.state;
  state.className = `state ${job.state}`;
  const pct = job.state === "succeeded" ? 100 : (p.percent || 0);
  $("#progress-fill").style.width = `${pct}%`;
  $("#progress").setAttribute("aria-valuenow", String(pct));
  const stage = ACTIVE.includes(job.state) ? (p.stage || job.state) : job.state;
  $("#progress-text").textContent = `${stage} ${pct.toFixed(0)}%`;
  const parts = [];
  if (p.total) parts.push(`step ${p.step} / ${p.total}`);
  if (p.rate) parts.push(`${p.rate.toPrecision(3)} steps/s`);
  if (ACTIVE.includes(job.state) && p.eta_s !== null && p.eta_s !== undefined) parts.push(`ETA ${fmtSeconds(p.eta_s)}`);
  if (p.checkpoint_step !== null && p.checkpoint_step !== undefined) parts.push(`last checkpoint at step ${p.checkpoint_step}`);
  $("#progress-eta").textContent = parts.join(" · ");
  $("#job-error").textContent = job.error || "";
  $("#job-cancel").disabled = !ACTIVE.includes(job.state);
  $("#job-resume").disabled = !["interrupted", "cancelled", "failed"].includes(job.state);
  drawLine($("#loss-chart"), p.loss || []);
  const metrics = { ...(p.metrics || {}), ...Object.fromEntries(Object.entries(p.eval || {}).map(([k, v]) => [`eval ${k}`, v])) };
  $("#metrics tbody").replaceChildren(...Object.entries(metrics).map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, fmtNumber(v)))));
  $("#results").classList.toggle("hidden", job.state !== "succeeded");
  if (changed) {
    document.dispatchEvent(new CustomEvent("soundry:jobs-changed"));
    if ($("#log-box").open) loadLog();
  }
}

export async function loadLog() {
  if (!current) return;
  const text = await guarded("reading the log", () => call("GET", `/jobs/${current.id}/log?lines=300`));
  if (text !== undefined) { const pre = $("#job-log"); pre.textContent = text; pre.scrollTop = pre.scrollHeight; }
}

export async function cancelJob() {
  if (!current) return;
  const job = await guarded("cancelling", () => call("POST", `/jobs/${current.id}/cancel`));
  if (job) render(job);
}

export async function resumeJob() {
  if (!current) return;
  const job = await guarded("resuming", () => call("POST", `/jobs/${current.id}/resume`));
  if (job) { render(job); watch(job.id); }
}

export async function downloadBundle() {
  if (!current) return;
  const url = await guarded("downloading the model", () => blobUrl(`/jobs/${current.id}/bundle.zip`));
  if (!url) return;
  const a = el("a", { href: url, download: `soundry-${current.id}.zip` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export async function tryClip(blob, name) {
  if (!current) return;
  const form = new FormData();
  form.append("file", blob, name);
  const box = $("#try-result");
  box.replaceChildren(el("p", { class: "muted" }, `running the model on ${name}…`));
  const res = await guarded("trying the model", () => call("POST", `/jobs/${current.id}/try`, { form }));
  if (!res) { box.replaceChildren(); return; }
  if (res.recipe === "classify") {
    box.replaceChildren(el("p", {}, "best guess: ", el("strong", { id: "try-label" }, res.label)),
      ...res.labels.map((l) => el("div", { class: "prob" }, el("span", { class: "name" }, l.label),
        el("meter", { min: "0", max: "1", value: String(l.prob) }),
        el("span", { class: "muted" }, `${(l.prob * 100).toFixed(1)}%`))));
  } else {
    box.replaceChildren(...(res.outputs || []).map((o) => {
      const audio = el("audio", { controls: "" });
      blobUrl(o.url.replace(/^\/api/, "")).then((u) => { audio.src = u; }, (err) => showError(err, "loading audio"));
      return el("div", { class: "row" }, el("span", {}, o.voice), audio);
    }));
  }
}

export async function record(seconds = 3) {
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    showError(new Error("this browser cannot record audio here (it needs a microphone and https or localhost)"));
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const rec = new MediaRecorder(stream);
    const chunks = [];
    rec.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((r) => { rec.onstop = r; });
    rec.start();
    setTimeout(() => rec.stop(), seconds * 1000);
    await stopped;
    stream.getTracks().forEach((t) => t.stop());
    await tryClip(new Blob(chunks, { type: rec.mimeType }), "recording.webm");
  } catch (err) {
    showError(err, "recording");
  }
}
