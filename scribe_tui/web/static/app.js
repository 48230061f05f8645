// The scribe-tui dashboard: reads the JSON API, follows GET /api/events (server-sent events),
// and sends operator commands with the session's CSRF token. Text is only ever set with
// textContent: nothing from the server is parsed as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const JOB_REFRESH_MS = 5000;
  const DETAIL_REFRESH_MS = 2000;
  const STALL_MS = 10000;

  const state = {
    session: null, status: null, countsKey: "", jobsAt: 0, jobsLoading: false,
    query: { status: "", language: "", q: "", sort: "id", limit: 100, offset: 0 },
    jobs: null, detailId: null, detailAt: 0, lastEventSeq: null, lastStatusAt: 0, source: null,
  };

  // ---- helpers ------------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "className") node.className = value;
      else if (key === "style") node.style.cssText = value;  // CSSOM: allowed by the page's CSP
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const replaceRows = (tbody, rows) => tbody.replaceChildren(...rows);
  // Each cell carries its column's name, which a stacked table shows above the value on a phone.
  function labelCells(table) {
    const names = [...table.tHead.rows[0].cells].map((th) => th.textContent);
    for (const row of table.tBodies[0].rows) [...row.cells].forEach((td, i) => { td.dataset.label = names[i] || ""; });
  }
  const fmtInt = (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en"));
  const fmtUsd = (n) => (n === null || n === undefined ? "–" : "$" + (n < 10 ? n.toFixed(4) : n.toFixed(2)));
  const fmtMs = (n) => (n === null || n === undefined ? "–" : n >= 1000 ? (n / 1000).toFixed(2) + "s" : Math.round(n) + "ms");
  function fmtDuration(s) {
    if (s === null || s === undefined) return "–";
    s = Math.max(0, Math.round(s));
    if (s >= 86400) return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
    if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`;
    return `${s}s`;
  }
  const fmtTime = (ts) => (ts ? new Date(ts * 1000).toLocaleTimeString() : "");
  function splitPath(path) {
    const cut = path.lastIndexOf("/");
    return cut < 0 ? ["", path] : [path.slice(0, cut + 1), path.slice(cut + 1)];
  }

  let toastTimer = null;
  function toast(message, isError) {
    const box = $("toast");
    box.textContent = message;
    box.className = "toast" + (isError ? " error" : "");
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, isError ? 6000 : 3000);
  }

  // ---- the API ------------------------------------------------------------------------------
  async function api(path, options) {
    const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
    if (response.status === 401) { window.location.assign("/"); throw new Error("signed out"); }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.error || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // A control request: POST with the page's CSRF token. Resolves to the answer, or shows the refusal.
  async function control(path, body) {
    const headers = { "Content-Type": "application/json" };
    if (state.session && state.session.csrf_token) headers["X-CSRF-Token"] = state.session.csrf_token;
    try {
      const answer = await api(path, { method: "POST", headers, body: JSON.stringify(body || {}) });
      loadJobs(true);
      if (state.detailId !== null) loadDetail(true);
      return { ok: true, answer };
    } catch (error) {
      toast(`${error.status || ""} ${error.message}`.trim(), true);
      return { ok: false, status: error.status, error: error.message };
    }
  }

  // ---- the header -------------------------------------------------------------------------
  const HEADER_STATUSES = ["queued", "processing", "completed", "failed", "dead", "cancelled"];

  function renderHeader(status) {
    const sup = status.supervisor;
    $("mode").textContent = sup.mode === "monitor" ? "attached as monitor" : "supervisor";
    $("mode").className = "badge" + (sup.alive ? "" : " stale");
    $("mode").title = sup.alive ? `pid ${sup.pid}, heartbeat ${sup.heartbeat_age_s}s ago` : "no supervisor heartbeat";
    $("state").textContent = status.paused ? "PAUSED" : sup.alive ? "running" : "not running";
    $("state").className = "badge" + (status.paused ? " paused" : "");
    $("pause").textContent = status.paused ? "Resume" : "Pause";
    $("counts").replaceChildren(...HEADER_STATUSES.map((s) => h("span", {}, `${s} `, h("b", {}, fmtInt(status.counts[s] || 0)))));
    $("workers-target").textContent = status.target_workers || "–";
  }

  // ---- jobs ---------------------------------------------------------------------------------
  // The directory every listed document is in: shown once above the table, not on each row.
  function commonDirectory(paths) {
    if (!paths.length) return "";
    let common = splitPath(paths[0])[0];
    for (const path of paths) while (common && !path.startsWith(common)) common = splitPath(common.slice(0, -1))[0];
    return common;
  }

  function jobRow(job, common) {
    const [dir, name] = splitPath(job.path.slice(common.length));
    const pct = Math.round(job.progress * 100);
    const can = state.session && state.session.can_control;
    const retryable = ["failed", "dead", "cancelled"].includes(job.status);
    const cancellable = !["completed", "cancelled"].includes(job.status);
    return h("tr", { "data-job-id": job.id, onclick: () => openDetail(job.id) },
      h("td", { className: "num wide" }, job.id),
      h("td", { className: "doc", title: job.path }, h("span", { className: "dir" }, dir), name),
      h("td", {}, job.target_language),
      h("td", { className: "status " + job.status, title: job.error || "" }, job.status),
      h("td", { className: "progress-cell", title: `${job.chunks_done} of ${job.chunks_total} chunks` },
        h("span", { className: "progress" }, h("span", { style: `width:${pct}%` })),
        h("small", {}, `${job.chunks_done}/${job.chunks_total}`)),
      qaCell(job),
      h("td", { className: "num wide" }, job.effective_priority),
      h("td", { className: "num wide" }, job.attempts),
      h("td", { className: "actions" },
        can && retryable ? h("button", { type: "button", className: "control", title: "retry", "data-action": "retry",
          onclick: (e) => { e.stopPropagation(); control(`/api/jobs/${job.id}/retry`); } }, "↻") : null,
        can && cancellable ? h("button", { type: "button", className: "control danger", title: "cancel", "data-action": "cancel",
          onclick: (e) => { e.stopPropagation(); control(`/api/jobs/${job.id}/cancel`); } }, "✕") : null));
  }

  // Quality findings, as the TUI shows them: "–" not checked yet, "ok", or how many (warning tone).
  function findingText(f) {
    return `${f.chunk === null ? "document" : "chunk " + f.chunk}: ${f.check}: ${f.message}`;
  }

  function qaCell(job) {
    if (job.qa_count === null || job.qa_count === undefined) return h("td", { className: "num qa", title: "not checked yet" }, "–");
    if (job.qa_count === 0) return h("td", { className: "num qa ok", title: "no quality findings" }, "ok");
    return h("td", { className: "num qa warn", title: job.qa.map(findingText).join("\n") }, job.qa_count);
  }

  function renderQualityFindings(job) {
    const box = $("detail-qa");
    box.hidden = !job.qa_count;
    if (!job.qa_count) return;
    $("detail-qa-title").textContent = `Quality: ${job.qa_count} finding${job.qa_count === 1 ? "" : "s"}`;
    box.querySelector("ul").replaceChildren(...job.qa.map((f) => h("li", { className: "qa warn" }, "⚠ " + findingText(f))));
  }

  function jobsUrl() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(state.query)) if (value !== "" && value !== null) params.set(key, value);
    return "/api/jobs?" + params.toString();
  }

  async function loadJobs(force) {
    if (state.jobsLoading && !force) return;
    state.jobsLoading = true;
    state.jobsAt = Date.now();
    try {
      const page = await api(jobsUrl());
      state.jobs = page;
      const common = commonDirectory(page.jobs.map((job) => job.path));
      $("jobs-directory").textContent = common;
      replaceRows($("jobs-table").tBodies[0], page.jobs.length ? page.jobs.map((job) => jobRow(job, common))
        : [h("tr", {}, h("td", { colspan: 8, className: "empty" }, "no jobs match"))]);
      const shown = page.jobs.length ? `${page.offset + 1}–${page.offset + page.jobs.length}` : "0";
      const total = page.total === null ? (page.more ? "more" : page.offset + page.jobs.length) : fmtInt(page.total);
      $("page-info").textContent = `${shown} of ${total}`;
      $("jobs-matched").textContent = page.total === null ? "" : `(${fmtInt(page.total)})`;
      $("page-prev").disabled = page.offset === 0;
      $("page-next").disabled = !page.more;
    } catch (error) {
      toast(error.message, true);
    } finally {
      state.jobsLoading = false;
    }
  }

  // ---- throughput, failures, workers, providers --------------------------------------------
  function renderThroughput(status) {
    window.scribeChart.drawThroughput($("chart"), status.chunks_per_min, status.tokens_per_min, status.rate_limit_per_min);
    $("eta").textContent = etaText(status);
    $("chunks-left").textContent = fmtInt(status.chunks_left);
    // the engine's sliding 60 s rate (engine/outlook.py), as the TUI and status show it
    const series = status.chunks_per_min;
    const lastMinute = status.rate_per_min !== null && status.rate_per_min !== undefined ? status.rate_per_min
      : series.length > 1 ? series[series.length - 2] : 0;  // the last clock minute is still under way
    $("rate-now").textContent = `${fmtInt(lastMinute)} chunks` + (status.rate_limit_per_min ? ` (limit ${fmtInt(status.rate_limit_per_min)}/min)` : "");
    $("spend-run").textContent = status.spend.run_usd === null ? "– (attached)" : fmtUsd(status.spend.run_usd);
    $("spend-hour").textContent = fmtUsd(status.spend.last_hour_usd);
  }

  // the ETA as engine/outlook.py works it out: what binds it, nothing while paused, and what waits
  function etaText(status) {
    const waiting = (status.waiting || []).map((line) => ` · ${line}`).join("");
    if (status.paused) return "– (paused)" + waiting;
    if (status.eta_s === null) return "unknown (nothing done lately)" + waiting;
    if (status.eta_s === 0) return "done";
    return fmtDuration(status.eta_s) + (status.eta_binding ? ` (limited by ${status.eta_binding})` : "") + waiting;
  }

  function renderFailures(status) {
    const can = state.session && state.session.can_control;
    $("failures-count").textContent = status.failures.length ? `(${status.failures.length})` : "";
    $("failures-list").replaceChildren(...(status.failures.length ? status.failures.map((f) =>
      h("li", { "data-job-id": f.job_id },
        h("a", { href: "#", onclick: (e) => { e.preventDefault(); openDetail(f.job_id); } }, `#${f.job_id}`),
        h("span", { className: "status " + f.status }, f.status),
        h("span", { title: f.path }, splitPath(f.path)[1] + " → " + f.language),
        can ? h("button", { type: "button", className: "control", onclick: () => control(`/api/jobs/${f.job_id}/retry`) }, "retry") : null,
        h("span", { className: "when" }, `${f.attempts} tries · ${fmtTime(f.at)}`),
        h("span", { className: "reason" }, f.reason)))
      : [h("li", { className: "empty" }, "no failed or dead-lettered jobs")]));
    $("events-list").replaceChildren(...(status.events.length ? status.events.slice(0, 30).map(eventItem)
      : [h("li", { className: "empty" }, "nothing yet")]));
    notifyNewEvents(status.events);
  }

  function eventText(e) {
    switch (e.type) {
      case "Notice": return e.message;
      case "RetryScheduled": return `job ${e.job_id} chunk ${e.chunk_index}: ${e.error_class}, retry in ${fmtDuration(e.delay_s)} (attempt ${e.attempts})` +
        (e.message ? `: ${e.message}` : "");
      case "ChunkFailed": return `job ${e.job_id} chunk ${e.chunk_index}: ${e.error_class}: ${e.message}` + (e.dead ? " (dead-lettered)" : "");
      case "JobFinished": return `job ${e.job_id} ${e.status}` + (e.error ? `: ${e.error}` : "");
      case "RateLimitWait": return `${e.provider}: waiting (${e.reason}) until ${fmtTime(e.until)}`;
      case "WorkerExited": return `worker ${e.worker_id} (pid ${e.pid}) exited with ${e.exitcode}` + (e.replaced ? ", replaced" : "");
      default: return e.type;
    }
  }
  const eventItem = (e) => h("li", { className: e.level || "" }, h("span", { className: "when" }, fmtTime(e.ts)), eventText(e));

  function notifyNewEvents(events) {
    const newest = events.length ? events[0].seq : 0;
    if (state.lastEventSeq !== null) {
      const fresh = events.filter((e) => e.seq > state.lastEventSeq && e.type === "Notice");
      if (fresh.length) toast(fresh[0].message, fresh[0].level === "error");
    }
    state.lastEventSeq = Math.max(state.lastEventSeq || 0, newest);
  }

  function renderWorkers(status) {
    replaceRows($("workers-table").tBodies[0], status.workers.length ? status.workers.map((w) => h("tr", {},
      h("td", {}, w.worker_id), h("td", { className: "num wide" }, w.pid), h("td", {}, w.state),
      h("td", { className: "num" }, w.in_flight), h("td", { className: "num" }, fmtDuration(w.heartbeat_age_s)),
      h("td", { className: "num wide" }, w.restarts)))
      : [h("tr", {}, h("td", { colspan: 6, className: "empty" }, "no workers"))]);
  }

  function limitUse(use) {
    const share = use.amount ? Math.min(100, Math.round((use.used / use.amount) * 100)) : 0;
    return h("span", { className: "limit-use", title: `${use.used} of ${use.amount} in the window` },
      h("span", { className: "meter" }, h("span", { style: `width:${share}%` })), `${use.limit} ${share}%`);
  }

  // The adaptive cap on requests in flight against the configured max_concurrency; lowered after overload.
  function concurrencyCell(p) {
    if (!p.max_concurrency) return h("td", { className: "num concurrency" }, "–");
    const lowered = p.concurrency_cap < p.max_concurrency;
    return h("td", { className: "num concurrency" + (lowered ? " lowered" : ""), title: p.note || "" },
      `${p.concurrency_cap}/${p.max_concurrency}`);
  }

  function renderProviders(status) {
    replaceRows($("providers-table").tBodies[0], status.providers.map((p) => h("tr", {},
      h("td", { title: `${p.kind} · ${p.model}` }, p.name, h("br"), h("small", {}, p.model)),
      h("td", { className: "circuit-" + p.circuit, title: p.note || "" }, p.circuit,
        p.paused_until && p.paused_until * 1000 > Date.now() ? h("small", {}, ` until ${fmtTime(p.paused_until)}`) : null,
        p.note ? h("small", { className: "note" }, p.note) : null),
      h("td", {}, p.limit_usage.length ? p.limit_usage.map(limitUse) : "none"),
      concurrencyCell(p),
      h("td", { className: "num" }, fmtInt(p.requests)), h("td", { className: "num" }, fmtInt(p.rate_limited)),
      h("td", { className: "num latency" }, `${fmtMs(p.latency_p50_ms)} / ${fmtMs(p.latency_p95_ms)}`),
      h("td", { className: "num" }, fmtUsd(p.cost_usd)))));
    labelCells($("providers-table"));
  }

  function renderLanguages(status) {
    const select = $("filter-language");
    const known = new Set([...select.options].map((o) => o.value));
    for (const code of Object.keys(status.languages).sort()) {
      if (!known.has(code)) select.appendChild(h("option", { value: code }, code));
    }
  }

  // ---- the status stream ------------------------------------------------------------------
  function onStatus(status) {
    state.status = status;
    state.lastStatusAt = Date.now();
    $("banner").hidden = true;
    renderHeader(status);
    renderThroughput(status);
    renderFailures(status);
    renderWorkers(status);
    renderProviders(status);
    renderLanguages(status);
    const key = JSON.stringify([status.counts, status.chunk_counts]);
    if (key !== state.countsKey || Date.now() - state.jobsAt > JOB_REFRESH_MS) {
      state.countsKey = key;
      loadJobs();
    }
    if (state.detailId !== null && Date.now() - state.detailAt > DETAIL_REFRESH_MS) loadDetail();
  }

  function follow() {
    if (state.source) state.source.close();
    const source = new EventSource("/api/events");
    state.source = source;
    source.addEventListener("status", (event) => onStatus(JSON.parse(event.data)));
    source.onerror = () => {
      $("banner").textContent = "Connection lost; reconnecting…";
      $("banner").hidden = false;
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(() => api("/api/session").then(follow).catch(() => {}), 2000);
      }
    };
  }

  // Without events for a while (a proxy that buffers them), read the status directly.
  setInterval(() => {
    if (state.session && Date.now() - state.lastStatusAt > STALL_MS) api("/api/status").then(onStatus).catch(() => {});
  }, STALL_MS / 2);

  // ---- the job detail ---------------------------------------------------------------------
  function chunkView(chunk) {
    const translation = chunk.translation === null ? h("pre", { className: "pending" }, chunk.status === "done" ? "" : `(${chunk.status})`)
      : h("pre", { lang: state.detailJob ? state.detailJob.target_language : null }, chunk.translation);
    return h("div", { className: "chunk", "data-chunk": chunk.index },
      h("div", { className: "meta" }, h("b", {}, `chunk ${chunk.index}`), h("span", { className: "status " + chunk.status }, chunk.status),
        h("span", {}, `${chunk.attempts} tries`), chunk.provider ? h("span", {}, `${chunk.provider}${chunk.cached ? " (cache)" : ""}`) : null,
        chunk.error ? h("span", { className: "error" }, `${chunk.error_class || "error"}: ${chunk.error}`) : null),
      h("pre", {}, chunk.source), translation);
  }

  async function loadDetail(force) {
    const id = state.detailId;
    if (id === null) return;
    state.detailAt = Date.now();
    try {
      const detail = await api(`/api/jobs/${id}`);
      if (state.detailId !== id) return;
      const job = detail.job;
      state.detailJob = job;
      $("detail-title").textContent = `Job ${job.id} · ${splitPath(job.path)[1]} → ${job.target_language}`;
      $("detail-summary").textContent = `${job.status} · ${job.chunks_done}/${job.chunks_total} chunks · priority ${job.effective_priority} · ` +
        `${job.provider} (${job.model}) · ${fmtInt(job.tokens_in)} in / ${fmtInt(job.tokens_out)} out tokens · ${fmtUsd(job.cost_usd)}` +
        (job.output_path ? ` · ${job.output_path}` : "");
      $("detail-error").hidden = !job.error;
      $("detail-error").textContent = job.error || "";
      renderQualityFindings(job);
      $("detail-retry").disabled = !["failed", "dead", "cancelled"].includes(job.status);
      $("detail-cancel").disabled = ["completed", "cancelled"].includes(job.status);
      $("detail-chunks").replaceChildren(...detail.chunks.map(chunkView));
    } catch (error) {
      if (force || error.status !== 404) toast(error.message, true);
    }
  }

  function openDetail(id) {
    state.detailId = id;
    $("detail-chunks").replaceChildren();
    $("detail-title").textContent = `Job ${id}`;
    if (!$("detail").open) $("detail").showModal();
    loadDetail(true);
  }

  // ---- wiring -------------------------------------------------------------------------------
  function wire() {
    $("detail-close").addEventListener("click", () => $("detail").close());
    $("detail").addEventListener("close", () => { state.detailId = null; state.detailJob = null; });
    const onDetail = (suffix, body) => () => control(`/api/jobs/${state.detailId}/${suffix}`, body);
    $("detail-retry").addEventListener("click", onDetail("retry"));
    $("detail-cancel").addEventListener("click", onDetail("cancel"));
    $("detail-prio-up").addEventListener("click", onDetail("priority", { delta: 1 }));
    $("detail-prio-down").addEventListener("click", onDetail("priority", { delta: -1 }));
    $("pause").addEventListener("click", () => control(state.status && state.status.paused ? "/api/resume" : "/api/pause"));
    const scaleBy = (delta) => () => {
      const current = (state.status && state.status.target_workers) || 1;
      control("/api/workers", { target: Math.max(1, current + delta) });
    };
    $("workers-up").addEventListener("click", scaleBy(1));
    $("workers-down").addEventListener("click", scaleBy(-1));
    const requery = () => {
      state.query.status = $("filter-status").value;
      state.query.language = $("filter-language").value;
      state.query.q = $("filter-text").value.trim();
      state.query.sort = $("sort").value;
      state.query.offset = 0;
      loadJobs(true);
    };
    for (const id of ["filter-status", "filter-language", "sort"]) $(id).addEventListener("change", requery);
    let typing = null;
    $("filter-text").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(requery, 250); });
    $("job-filter").addEventListener("submit", (e) => { e.preventDefault(); requery(); });
    $("page-prev").addEventListener("click", () => { state.query.offset = Math.max(0, state.query.offset - state.query.limit); loadJobs(true); });
    $("page-next").addEventListener("click", () => { state.query.offset += state.query.limit; loadJobs(true); });
  }

  async function start() {
    wire();
    state.session = await api("/api/session");
    $("role").textContent = state.session.role;
    document.body.classList.toggle("viewer", !state.session.can_control);
    follow();
    loadJobs(true);
  }

  window.scribe = { control, state, loadJobs, openDetail };
  start().catch((error) => toast(error.message, true));
})();
