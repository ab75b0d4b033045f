// sfimport's only script: live filtering on Select data and live progress on run pages.
// Pages work without it; it never writes HTML from data (textContent only).
"use strict";

function filterRows(input) {
  const rows = document.querySelectorAll(input.dataset.filter);
  const needle = input.value.trim().toLowerCase();
  rows.forEach((row) => {
    row.hidden = needle !== "" && !(row.dataset.search || "").includes(needle);
  });
}

function formatCount(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US");
}

function renderProgress(table, data) {
  const statusEl = document.getElementById("run-status");
  if (statusEl) {
    statusEl.textContent = data.status.replace(/_/g, " ");
    statusEl.className = "status " + data.status;
  }
  const totals = {};
  (data.run.datasets || []).forEach((d) => { totals[d.name] = d; });
  data.events.forEach((e) => {
    const row = table.querySelector('tr[data-dataset="' + CSS.escape(e.dataset) + '"]');
    if (!row) return;
    row.querySelector(".phase").textContent = e.phase;
    const expected = e.rows_expected;
    row.querySelector(".rows").textContent =
      formatCount(e.rows_done) + (expected !== null && expected !== undefined ? " / " + formatCount(expected) : "");
    const bar = row.querySelector("progress");
    const pct = row.querySelector(".pct");
    if (e.phase === "done") {
      bar.value = 100; pct.textContent = "100%";
    } else if (expected) {
      const p = Math.min(100, Math.round((100 * e.rows_done) / expected));
      bar.value = p; pct.textContent = p + "%";
    }
    row.querySelector(".speed").textContent =
      e.rows_per_second ? Math.round(e.rows_per_second).toLocaleString("en-US") + " rows/s" : "";
    row.querySelector(".message").textContent = e.message || "";
    table.dataset.after = String(e.seq);
  });
}

function pollRun(table) {
  const runId = table.dataset.run;
  const tick = () => {
    const after = table.dataset.after || "0";
    fetch("/api/runs/" + encodeURIComponent(runId) + "/events?after=" + encodeURIComponent(after),
          { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => {
        renderProgress(table, data);
        if (data.final) {
          // A finished import ends on My Data; otherwise render the final state, errors and
          // their buttons from the server (once: a finished run's page does not poll).
          if (data.status === "complete" && table.dataset.follow === "yes") {
            window.location.assign("/mydata");
          } else if (table.dataset.final !== "yes") {
            window.location.reload();
          }
        } else {
          setTimeout(tick, 700);
        }
      })
      .catch(() => setTimeout(tick, 2000));
  };
  tick();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-filter]").forEach((input) => {
    input.addEventListener("input", () => filterRows(input));
  });
  const table = document.getElementById("progress");
  if (table && (table.dataset.final !== "yes" || table.dataset.follow === "yes")) pollRun(table);
});
