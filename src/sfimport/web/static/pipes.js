// The pipe editor's live preview: as the definition changes, ask /api/pipes/preview for its
// SQL and first rows and show them (or the error and its remedy). The page works without it
// (the Preview button posts the form); it never writes HTML from data (textContent only).
"use strict";

(function () {
  const form = document.getElementById("pipe-form");
  const definition = document.getElementById("definition");
  const section = document.getElementById("pipe-preview");
  if (!form || !definition || !section) return;
  const status = document.getElementById("preview-status");
  const sql = document.getElementById("preview-sql");
  const table = document.getElementById("preview-rows");
  const errorBox = document.getElementById("pipe-error");
  let timer = null;
  let latest = 0;

  function showError(problem) {
    errorBox.replaceChildren();
    const box = document.createElement("div");
    box.className = "error-box";
    box.setAttribute("role", "alert");
    const message = document.createElement("p");
    message.className = "error-message";
    message.textContent = problem.detail || problem.title || "The preview failed.";
    box.appendChild(message);
    if (problem.remedy) {
      const remedy = document.createElement("p");
      remedy.className = "remedy";
      remedy.textContent = problem.remedy;
      box.appendChild(remedy);
    }
    errorBox.appendChild(box);
    status.textContent = "The definition does not run yet.";
  }

  function showPreview(preview) {
    errorBox.replaceChildren();
    sql.textContent = preview.sql;
    const head = document.createElement("tr");
    preview.columns.forEach((column) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = column.name;
      th.appendChild(document.createElement("br"));
      const type = document.createElement("span");
      type.className = "type";
      type.textContent = column.type + (column.concealed ? " · concealed" : "");
      th.appendChild(type);
      head.appendChild(th);
    });
    table.tHead.replaceChildren(head);
    const body = table.tBodies[0];
    body.replaceChildren();
    preview.rows.forEach((row) => {
      const tr = document.createElement("tr");
      row.forEach((value) => {
        const td = document.createElement("td");
        td.textContent = value === null ? "" : String(value);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    const n = preview.rows.length;
    status.textContent =
      n + " row" + (n === 1 ? "" : "s") + " shown; reads " + preview.sources.join(", ") + ".";
  }

  async function refresh() {
    const ticket = ++latest;
    status.textContent = "Updating the preview…";
    try {
      const answer = await fetch(section.dataset.previewUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ definition: definition.value, limit: 20 }),
        credentials: "same-origin",
      });
      const body = await answer.json();
      if (ticket !== latest) return; // a newer edit is on its way
      if (answer.ok) showPreview(body);
      else showError(body);
    } catch (error) {
      if (ticket === latest) showError({ detail: "The preview could not be fetched." });
    }
  }

  definition.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
