// veeduria: small progressive enhancements. Served as a file (the CSP forbids inline scripts).
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// Text nodes only: nothing from the server is ever parsed as HTML.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "text") node.textContent = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function safeId(value) {
  return encodeURIComponent(String(value));
}

function pollJob(box) {
  const id = box.dataset.job;
  const state = document.getElementById("job-state");
  const message = document.getElementById("job-message");
  const progress = document.getElementById("job-progress");
  const list = document.getElementById("job-candidates");
  const tick = async () => {
    let job;
    try {
      const res = await fetch("/api/jobs/" + safeId(id), { headers: { Accept: "application/json" } });
      job = await res.json();
      if (!res.ok) { message.textContent = (job.error && job.error.message) || res.statusText; return; }
    } catch (err) {
      message.textContent = String(err);
      setTimeout(tick, 2000);
      return;
    }
    // The label in the page language (data-label-<state>); the raw state when unknown.
    state.textContent = box.dataset["label" + job.state.charAt(0).toUpperCase() + job.state.slice(1)] || job.state;
    message.textContent = job.message || "";
    progress.value = job.progress;
    box.dataset.state = job.state;
    if (job.state === "done" || job.state === "failed") {
      const src = job.result && job.result.source_id;
      if (src) {
        const p = document.getElementById("job-source");
        p.hidden = false;
        p.querySelector("a").href = "/source/" + safeId(src);
        const review = document.getElementById("job-review");
        if (review) review.href = "/review?source=" + safeId(src);
      }
      list.replaceChildren();
      for (const c of job.candidates || []) {
        const names = (c.entities || []).map((e) => e.name).join(", ");
        list.append(el("li", { class: "claim status-candidate", "data-claim": c.id },
          el("div", { class: "claim-head" },
            el("span", { class: "pred", text: c.predicate_label || c.predicate }), " ", names),
          el("blockquote", { class: "quote", text: "\u201c" + c.quote + "\u201d" })));
      }
      document.getElementById("job-none").hidden = (job.candidates || []).length > 0 || job.state !== "done";
      return;
    }
    setTimeout(tick, 700);
  };
  tick();
}

document.addEventListener("DOMContentLoaded", () => {
  const job = document.getElementById("job");
  if (job) pollJob(job);
  const upload = document.getElementById("upload-form");
  const file = document.getElementById("upload-file");
  if (upload && file) {
    upload.addEventListener("submit", (ev) => {
      const max = Number(upload.dataset.max || 0);
      if (max && file.files.length && file.files[0].size > max) {
        ev.preventDefault();
        let note = document.getElementById("upload-error");
        if (!note) {
          note = el("p", { id: "upload-error", class: "error", role: "alert" });
          upload.prepend(note);
        }
        const template = upload.dataset.tooLarge || "File too large: {size} bytes (limit {max}).";
        note.textContent = template.replace("{size}", String(file.files[0].size)).replace("{max}", String(max));
      }
    });
  }
});
