// sfimport's only script: the catalog picker on Select data (search as you type, tabs, select
// all / clear, the selected panel) and live progress on run pages.
// Pages work without it; it never writes HTML from data (textContent only).
"use strict";

function filterRows(input) {
  const rows = document.querySelectorAll(input.dataset.filter);
  const needle = input.value.trim().toLowerCase();
  rows.forEach((row) => {
    row.hidden = needle !== "" && !(row.dataset.search || "").includes(needle);
  });
  document.querySelectorAll("[role=tabpanel][data-kind]").forEach((panel) => {
    const shown = panel.querySelectorAll("li.item:not([hidden])").length;
    const count = document.querySelector('.count[data-count="' + panel.dataset.kind + '"]');
    if (count) count.textContent = String(shown);
  });
}

function selectedKey(box) {
  return (box.name === "report" ? "report:" : "object:") + box.value;
}

function updateSelected(box) {
  const list = document.getElementById("selected-list");
  if (!list) return;
  const key = selectedKey(box);
  const existing = Array.from(list.children).find((li) => li.dataset.key === key);
  if (box.checked && !existing) {
    const li = document.createElement("li");
    li.dataset.key = key;
    li.textContent = box.value;
    if (box.name === "report") {
      const kind = document.createElement("span");
      kind.className = "muted";
      kind.textContent = " report";
      li.appendChild(kind);
    }
    list.appendChild(li);
  } else if (!box.checked && existing) {
    existing.remove();
  }
  const count = document.getElementById("selected-count");
  if (count) count.textContent = String(list.children.length);
  const empty = document.getElementById("selected-empty");
  if (empty) empty.hidden = list.children.length > 0;
}

function setAll(kind, checked) {
  const panel = document.querySelector('[role=tabpanel][data-kind="' + kind + '"]');
  if (!panel) return;
  panel.querySelectorAll("li.item:not([hidden]) input[type=checkbox]").forEach((box) => {
    if (box.checked !== checked) {
      box.checked = checked;
      updateSelected(box);
    }
  });
}

function setupTabs(tablist) {
  const tabs = Array.from(tablist.querySelectorAll("[role=tab]"));
  const show = (tab, focus) => {
    tabs.forEach((t) => {
      const on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    if (focus) tab.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => show(tab, false));
    tab.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        e.preventDefault();
        const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
        show(next, true);
      }
    });
  });
  // Open on the tab that has something: a search for a report lands on Reports.
  const withItems = tabs.find((t) => {
    const panel = document.getElementById(t.getAttribute("aria-controls"));
    return panel && panel.querySelector("li.item");
  });
  show(withItems || tabs[0], false);
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
  document.querySelectorAll("[role=tablist]").forEach(setupTabs);
  document.querySelectorAll(".catalog input[type=checkbox]").forEach((box) => {
    box.addEventListener("change", () => updateSelected(box));
  });
  document.querySelectorAll("[data-select-all]").forEach((button) => {
    button.addEventListener("click", () => setAll(button.dataset.selectAll, true));
  });
  document.querySelectorAll("[data-clear]").forEach((button) => {
    button.addEventListener("click", () => setAll(button.dataset.clear, false));
  });
  const table = document.getElementById("progress");
  if (table && (table.dataset.final !== "yes" || table.dataset.follow === "yes")) pollRun(table);
});
