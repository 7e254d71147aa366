// veeduria: follows a report job and shows the download link when it is ready.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("report-job");
  if (!box) return;
  const state = document.getElementById("report-state");
  const message = document.getElementById("report-message");
  const progress = document.getElementById("report-progress");
  const ready = document.getElementById("report-ready");
  const link = document.getElementById("report-download");
  const tick = async () => {
    let job;
    try {
      const res = await fetch("/api/reports/" + encodeURIComponent(box.dataset.job), { headers: { Accept: "application/json" } });
      job = await res.json();
      if (!res.ok) { message.textContent = (job.error && job.error.message) || res.statusText; return; }
    } catch (err) {
      setTimeout(tick, 1500);
      return;
    }
    state.textContent = box.dataset["label" + job.state.charAt(0).toUpperCase() + job.state.slice(1)] || job.state;
    message.textContent = job.message || "";
    progress.value = job.progress;
    box.dataset.state = job.state;
    if (job.state === "done") {
      link.href = job.download;
      link.textContent = link.textContent.split(" ")[0] + " " + job.filename;
      ready.hidden = false;
      return;
    }
    if (job.state !== "failed") setTimeout(tick, 600);
  };
  tick();
});
