// Refreshes the live table every 2 s from /console/live.json (same session cookie).
(function () {
  const body = document.querySelector("#live tbody");
  const ts = (v) => (v ? v.replace("T", " ").slice(0, 19) : "-");
  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
  async function refresh() {
    try {
      const response = await fetch("/console/live.json", { credentials: "same-origin" });
      if (!response.ok) return;
      const rows = await response.json();
      const fresh = document.createDocumentFragment();
      for (const r of rows) {
        const tr = document.createElement("tr");
        const lead = document.createElement("td");
        const link = document.createElement("a");
        link.href = "/console/leads/" + r.lead_id;
        link.textContent = r.name || r.email || r.lead_id;
        lead.appendChild(link);
        tr.appendChild(lead);
        tr.appendChild(cell(r.source || "-"));
        tr.appendChild(cell((r.score ?? "-") + " " + (r.stage || "")));
        for (const k of ["captured_at", "enriched_at", "scored_at", "assigned_at", "alerted_at", "claimed_at"]) tr.appendChild(cell(ts(r[k])));
        tr.appendChild(cell(r.owner || "-"));
        fresh.appendChild(tr);
      }
      body.replaceChildren(fresh);
    } catch (e) { /* the next poll tries again */ }
  }
  setInterval(refresh, 2000);
})();
