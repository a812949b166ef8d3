// edgejobs dashboard: plain JS, no build step, same origin only (CSP default-src 'self').
// Every value from the API reaches the page through textContent or an attribute, never as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "edgejobs.token";
  const REFRESH_MS = 10000;
  const SVG_NS = "http://www.w3.org/2000/svg";

  // Status words → colour family. The word itself is always shown next to the colour.
  const TONES = {
    complete: "good",
    completed: "good",
    succeeded: "good",
    ok: "good",
    processing: "active",
    in_progress: "active",
    running: "active",
    pending: "waiting",
    queued: "waiting",
    error: "bad",
    failed: "bad",
    partial: "warn",
    cancelled: "muted",
  };
  const EXPORT_STATUSES = ["pending", "processing", "complete", "error", "cancelled"];

  const $ = (id) => document.getElementById(id);
  const state = {
    timer: 0,
    inflight: null,
    lastRefresh: 0,
    paths: null, // the OpenAPI document's paths, once loaded: which optional routes exist
    errors: new Map(), // section → message
    runFilter: { status: "", type: "" },
  };

  // --- DOM helpers ----------------------------------------------------------------------------
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    setProps(el, props);
    el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return el;
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, String(value));
    el.append(...children);
    return el;
  }

  function setProps(el, props) {
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(el.dataset, value);
      else if (name in el && typeof value !== "string") el[name] = value;
      else el.setAttribute(name, value === true ? "" : String(value));
    }
  }

  /** Replaces a container's children, keeping keyboard focus on the element with the same key. */
  function fill(container, nodes) {
    const focused = document.activeElement;
    const key = focused && container.contains(focused) ? focused.dataset.focusKey : undefined;
    container.replaceChildren(...nodes);
    if (key) {
      const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
      if (again) again.focus();
    }
  }

  function badge(status) {
    const tone = TONES[status] || "muted";
    return h(
      "span",
      { class: `badge tone-${tone}`, dataset: { status } },
      h("span", { class: "dot", "aria-hidden": "true" }),
      String(status).replace(/_/g, " "),
    );
  }

  function progressBar(value, label) {
    const pct = Math.max(0, Math.min(100, Number(value) || 0));
    return h(
      "div",
      { class: "progress" },
      h("progress", { max: 100, value: pct, "aria-label": label }),
      h("span", { class: "progress-text", text: `${pct}%` }),
    );
  }

  function timeEl(iso, prefix = "") {
    if (!iso) return h("span", { class: "muted", text: "—" });
    return h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, prefix + relative(iso));
  }

  function snippet(title, lines) {
    return h(
      "div",
      { class: "empty" },
      h("p", { text: title }),
      h("pre", { class: "code" }, h("code", { text: lines.join(" \\\n  ") })),
    );
  }

  function emptyState(text) {
    return h("li", { class: "empty-row" }, h("p", { class: "muted", text }));
  }

  // --- formatting -----------------------------------------------------------------------------
  function relative(iso) {
    const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    if (abs < 5) return "just now";
    const span =
      abs < 60
        ? `${abs} s`
        : abs < 3600
          ? `${Math.round(abs / 60)} min`
          : abs < 172800
            ? `${Math.round(abs / 3600)} h`
            : `${Math.round(abs / 86400)} days`;
    return seconds < 0 ? `${span} ago` : `in ${span}`;
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return "—";
    if (ms < 1000) return `${ms} ms`;
    const sec = ms / 1000;
    if (sec < 60) return `${sec.toFixed(sec < 10 ? 1 : 0)} s`;
    const min = Math.floor(sec / 60);
    if (min < 60) return `${min} min ${Math.round(sec % 60)} s`;
    return `${Math.floor(min / 60)} h ${min % 60} min`;
  }

  const shortId = (id) => `…${String(id).slice(-8)}`;
  const number = (n) => (typeof n === "number" ? n.toLocaleString() : "—");
  const origin = () => window.location.origin;

  // --- token ----------------------------------------------------------------------------------
  const getToken = () => sessionStorage.getItem(TOKEN_KEY) || "";

  /** The claims of a user token (a JWT), or null for the service token. Display only: the API
   * verifies every token; the dashboard just picks the sections a user token may read. */
  function userClaims(token) {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    try {
      const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
      const claims = JSON.parse(json);
      return claims && typeof claims === "object" ? claims : null;
    } catch {
      return null;
    }
  }

  function askForToken(reason) {
    clearTimeout(state.timer);
    sessionStorage.removeItem(TOKEN_KEY);
    $("dashboard").hidden = true;
    $("change-token").hidden = true;
    $("refresh-now").hidden = true;
    $("token-section").hidden = false;
    const why = $("token-reason");
    why.textContent = reason || why.dataset.default;
    why.classList.toggle("error-text", Boolean(reason));
    const input = $("token-input");
    input.value = "";
    input.focus();
  }

  function showDashboard() {
    $("token-section").hidden = true;
    $("dashboard").hidden = false;
    $("change-token").hidden = false;
    $("refresh-now").hidden = false;
    const claims = userClaims(getToken());
    document.body.classList.toggle("as-user", Boolean(claims));
    $("change-token").textContent = claims ? `User ${claims.sub || "?"} · change token` : "Change token";
  }

  // --- API ------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, { method = "GET", body, auth = true } = {}) {
    const headers = { accept: "application/json" };
    if (auth) headers.authorization = `Bearer ${getToken()}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
        redirect: "error",
      });
    } catch (err) {
      throw new ApiError(0, "network_error", `Could not reach the API (${err.message}).`);
    }
    const text = response.status === 204 ? "" : await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(
        response.status,
        error.code || `http_${response.status}`,
        error.message || `The API answered ${response.status} ${response.statusText}.`,
      );
    }
    return data;
  }

  /** Whether the deployed API has a route (from /openapi.json), so that routes of capabilities not
   * deployed are never called; true while the document is unknown (a 404 then hides the section). */
  const hasRoute = (path) => !state.paths || path in state.paths;

  async function loadPaths() {
    if (state.paths) return;
    try {
      const doc = await api("/openapi.json", { auth: false });
      if (doc && doc.paths) state.paths = doc.paths;
    } catch {
      state.paths = null; // the sections fall back to hiding themselves on 404
    }
  }

  // --- sections -------------------------------------------------------------------------------
  async function loadHealth() {
    const pill = $("health");
    try {
      const health = await api("/health", { auth: false });
      pill.className = "pill tone-good";
      pill.textContent = `API healthy · schema ${health.schema_version || "none"}`;
    } catch (err) {
      pill.className = "pill tone-bad";
      pill.textContent = err.status === 503 ? "Database unavailable" : "API unreachable";
      throw err;
    }
  }

  const TILE_GROUPS = [
    { title: "Export jobs", tiles: EXPORT_STATUSES.map((st) => [st, `export_jobs.by_status.${st}`]) },
    {
      title: "Job runs · last 24 h",
      tiles: [
        ["succeeded", "job_runs.last_24h.succeeded"],
        ["failed", "job_runs.last_24h.failed"],
      ],
    },
    { title: "VEO job cache", tiles: [["stored", "veo_jobs.stored"]] },
  ];

  function statAt(stats, path) {
    return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), stats);
  }

  function tile(label, path, value, tone) {
    const alert = (tone === "bad" || tone === "warn") && value > 0;
    return h(
      "div",
      { class: `tile tile-${tone}${alert ? " alert" : ""}` },
      h("dt", { text: label }),
      h("dd", { dataset: { stat: path }, text: number(value) }),
    );
  }

  function tileGroup(title, tiles, note) {
    return h("div", { class: "tile-group" }, h("h3", { text: title }), h("dl", { class: "tile-row" }, tiles), note);
  }

  function renderTiles(stats) {
    const groups = TILE_GROUPS.map(({ title, tiles }) => {
      const items = tiles.map(([label, path]) => {
        const value = statAt(stats, path);
        return tile(label, path, value, TONES[label] || "muted");
      });
      let note = null;
      if (title === "Export jobs") {
        const age = stats.export_jobs && stats.export_jobs.oldest_claimable_age_seconds;
        note = h(
          "p",
          { class: "tile-note", dataset: { stat: "export_jobs.oldest_claimable_age_seconds" } },
          age === null || age === undefined
            ? "Nothing is waiting to be claimed."
            : `Oldest claimable job has waited ${duration(age * 1000)}.`,
        );
      }
      return tileGroup(title, items, note);
    });
    for (const [key, title] of [
      ["videos", "Videos"],
      ["generations", "Generations"],
    ]) {
      const byStatus = (stats[key] && stats[key].by_status) || {};
      const entries = Object.entries(byStatus);
      if (!entries.length) continue;
      groups.push(
        tileGroup(
          title,
          entries.map(([st, n]) => tile(st.replace(/_/g, " "), `${key}.by_status.${st}`, n, TONES[st] || "muted")),
        ),
      );
    }
    fill($("tiles"), groups);
  }

  async function loadStats() {
    const stats = await api("/api/stats");
    renderTiles(stats);
    renderChart((stats.export_jobs && stats.export_jobs.completed_per_hour) || []);
    return stats;
  }

  function renderChart(hours) {
    const chart = $("chart");
    const W = 480,
      H = 180,
      left = 30,
      right = 6,
      top = 12,
      bottom = 26;
    const plotW = W - left - right,
      plotH = H - top - bottom;
    const max = niceCeil(Math.max(0, ...hours.map((x) => x.count)));
    const slot = plotW / Math.max(1, hours.length);
    const nodes = [];
    for (const frac of max % 2 ? [0, 1] : [0, 0.5, 1]) {
      const y = top + plotH - frac * plotH;
      nodes.push(s("line", { class: "grid", x1: left, x2: W - right, y1: y, y2: y }));
      nodes.push(
        s("text", { class: "axis", x: left - 6, y: y + 4, "text-anchor": "end" }, String(Math.round(frac * max))),
      );
    }
    hours.forEach((entry, i) => {
      const hgt = entry.count ? Math.max(2, (entry.count / max) * plotH) : 1.5;
      const x = left + i * slot + slot * 0.15;
      const label = new Date(entry.hour).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      const cls = `bar${entry.count ? "" : " zero"}${i === hours.length - 1 ? " current" : ""}`;
      nodes.push(
        s(
          "rect",
          {
            class: cls,
            x: x.toFixed(2),
            y: (top + plotH - hgt).toFixed(2),
            width: (slot * 0.7).toFixed(2),
            height: hgt.toFixed(2),
            rx: 1.5,
            "data-hour": entry.hour,
            "data-count": entry.count,
          },
          s("title", {}, `${label}: ${entry.count} completed`),
        ),
      );
      if (i % 6 === 0 || i === hours.length - 1) {
        nodes.push(
          s(
            "text",
            { class: "axis", x: (x + slot * 0.35).toFixed(2), y: H - 8, "text-anchor": "middle" },
            i === hours.length - 1 ? "now" : label,
          ),
        );
      }
    });
    chart.replaceChildren(...nodes);
    const total = hours.reduce((sum, x) => sum + x.count, 0);
    const peak = hours.reduce((best, x) => (x.count > (best ? best.count : 0) ? x : best), null);
    $("chart-desc").textContent = total
      ? `${total.toLocaleString()} completed in the last 24 hours; busiest hour ${new Date(peak.hour).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })} with ${peak.count}.`
      : "No export job completed in the last 24 hours.";
  }

  /** The axis maximum: 4 at least, else the next of 1, 2, 2.5, 5 × 10^k at or above n. */
  function niceCeil(n) {
    if (n <= 4) return 4;
    const step = 10 ** Math.floor(Math.log10(n));
    return [1, 2, 2.5, 5, 10].map((m) => m * step).find((v) => v >= n);
  }

  function jobRow(job) {
    const waiting = job.status === "pending" && job.available_at && Date.parse(job.available_at) > Date.now();
    return h(
      "li",
      { class: "row", dataset: { jobId: job.id } },
      h(
        "div",
        { class: "row-main" },
        h("span", { class: "row-title" }, h("strong", { text: job.type }), ` · project ${job.project_id}`),
        badge(job.status),
        h("span", { class: "row-id", title: job.id, text: shortId(job.id) }),
      ),
      job.status === "processing" ? progressBar(job.progress, `Progress of export job ${job.id}`) : null,
      h(
        "div",
        { class: "row-meta" },
        job.status === "processing"
          ? h("span", {}, `runner ${job.runner_id || "?"} · started `, timeEl(job.started_at))
          : waiting
            ? h("span", {}, "retry ", timeEl(job.available_at))
            : h("span", {}, "waiting since ", timeEl(job.available_at || job.created_at)),
        job.retry_count ? h("span", { text: `retry ${job.retry_count} of ${job.max_retries}` }) : null,
        job.error ? h("span", { class: "error-text", text: job.error }) : null,
      ),
    );
  }

  function failedRow(job) {
    const button = h("button", {
      type: "button",
      class: "btn btn-small",
      text: "Retry",
      "aria-label": `Retry export job ${job.id}`,
      dataset: { focusKey: `retry-${job.id}` },
      onclick: () => retryJob(job, button),
    });
    return h(
      "li",
      { class: "row with-action", dataset: { jobId: job.id } },
      h(
        "div",
        { class: "row-main" },
        h("span", { class: "row-title" }, h("strong", { text: job.type }), ` · project ${job.project_id}`),
        badge(job.status),
        h("span", { class: "row-id", title: job.id, text: shortId(job.id) }),
      ),
      h("div", { class: "row-action" }, button),
      h(
        "div",
        { class: "row-meta" },
        h("span", { class: "error-text", text: job.error || "No error message." }),
        h("span", { text: `tried ${job.retry_count + 1}×` }),
        h("span", {}, "failed ", timeEl(job.completed_at || job.updated_at)),
      ),
    );
  }

  async function retryJob(job, button) {
    button.disabled = true;
    button.textContent = "Retrying…";
    try {
      await api(`/api/export-jobs/${encodeURIComponent(job.id)}/retry`, { method: "POST", body: {} });
      notify(`Export job ${shortId(job.id)} is pending again.`);
      clearError("retry");
    } catch (err) {
      if (err.status === 401) return askForToken(`The API refused the token (${err.message}) Enter it again.`);
      setError("retry", `Retry of ${shortId(job.id)} failed: ${err.message}`);
      button.disabled = false;
      button.textContent = "Retry";
      return;
    }
    await refresh();
  }

  const createJobCurl = () =>
    snippet("The queue is empty. Create an export job:", [
      `curl -X POST ${origin()}/api/export-jobs`,
      `-H "Authorization: Bearer $TOKEN" -H "content-type: application/json"`,
      `-d '{"project_id": 1, "type": "framing", "input_video_key": "uploads/clip.mp4"}'`,
    ]);

  async function loadQueue() {
    const [active, failed] = await Promise.all([
      api("/api/export-jobs?status=active&limit=50"),
      api("/api/export-jobs?status=error&limit=20"),
    ]);
    $("active-count").textContent = countText(active);
    $("failed-count").textContent = countText(failed);
    fill(
      $("active-jobs"),
      active.items.length ? active.items.map(jobRow) : [h("li", { class: "empty-row" }, createJobCurl())],
    );
    fill(
      $("failed-jobs"),
      failed.items.length
        ? failed.items.map(failedRow)
        : [emptyState("Nothing has failed for good. Jobs that use up their retries land here with a Retry button.")],
    );
  }

  const countText = (page) => (page.next_cursor ? `${page.items.length}+` : String(page.items.length));

  function runCard(run) {
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: `card tone-edge-${TONES[run.status] || "muted"}`,
          dataset: { runId: run.id, focusKey: `run-${run.id}` },
          "aria-label": `${run.job_type} on ${run.scheduled_date}, ${run.status}: open its report`,
          onclick: () => openReport(run.id),
        },
        h("span", { class: "card-head" }, h("strong", { class: "card-title", text: run.job_type }), badge(run.status)),
        h("span", { class: "card-date", text: run.scheduled_date }),
        h(
          "span",
          { class: "card-meta" },
          h("span", { text: run.status === "running" ? "running" : `took ${duration(run.duration_ms)}` }),
          run.items_processed !== null && run.items_processed !== undefined
            ? h("span", { text: `${number(run.items_processed)} items` })
            : null,
          h("span", {}, timeEl(run.started_at, "started ")),
        ),
        run.error ? h("span", { class: "card-error error-text", text: run.error }) : null,
        h("span", { class: "card-open", "aria-hidden": "true", text: "Open report →" }),
      ),
    );
  }

  async function loadRuns() {
    const params = new URLSearchParams({ limit: "24" });
    if (state.runFilter.status) params.set("status", state.runFilter.status);
    if (state.runFilter.type) params.set("type", state.runFilter.type);
    const page = await api(`/api/job-runs?${params}`);
    const filtered = Boolean(state.runFilter.status || state.runFilter.type);
    fill(
      $("run-cards"),
      page.items.length
        ? page.items.map(runCard)
        : [
            h(
              "li",
              { class: "empty-row" },
              filtered
                ? h("p", { class: "muted", text: "No run matches these filters." })
                : snippet("No job runs recorded yet. Record one from your scheduled job:", [
                    `curl -X POST ${origin()}/api/job-runs`,
                    `-H "Authorization: Bearer $TOKEN" -H "content-type: application/json"`,
                    `-d '{"job_type": "nightly-report", "status": "succeeded", "items_processed": 42}'`,
                  ]),
            ),
          ],
    );
  }

  async function openReport(id) {
    const dialog = $("report-dialog");
    const body = $("report-body");
    $("report-title").textContent = "Job run";
    body.replaceChildren(h("p", { class: "muted", text: "Loading…" }));
    if (!dialog.open) dialog.showModal();
    try {
      const run = await api(`/api/job-runs/${encodeURIComponent(id)}`);
      $("report-title").textContent = `${run.job_type} · ${run.scheduled_date}`;
      body.replaceChildren(...reportView(run));
    } catch (err) {
      if (err.status === 401) {
        dialog.close();
        return askForToken(`The API refused the token (${err.message}) Enter it again.`);
      }
      body.replaceChildren(
        h("p", { class: "error-text", role: "alert", text: `Could not load the run: ${err.message}` }),
      );
    }
  }

  function reportView(run) {
    const facts = [
      ["Status", badge(run.status)],
      ["Trigger", run.trigger_source || "—"],
      ["Started", timeEl(run.started_at)],
      ["Finished", timeEl(run.finished_at)],
      ["Duration", duration(run.duration_ms)],
      ["Items", number(run.items_processed)],
    ];
    const parts = [
      h(
        "dl",
        { class: "facts" },
        facts.map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", {}, v))),
      ),
    ];
    if (run.error) parts.push(h("p", { class: "error-text", text: run.error }));
    if (run.metadata)
      parts.push(h("h3", { text: "Run metadata" }), h("pre", { class: "code" }, JSON.stringify(run.metadata, null, 2)));
    const report = run.report;
    if (!report) {
      parts.push(
        snippet(`No report stored for ${run.job_type} on ${run.scheduled_date}. Store one:`, [
          `curl -X PUT ${origin()}/api/reports/${run.job_type}/${run.scheduled_date}`,
          `-H "Authorization: Bearer $TOKEN" -H "content-type: application/json"`,
          `-d '{"content": {"summary": "…"}}'`,
        ]),
      );
      return parts;
    }
    parts.push(
      h(
        "h3",
        {},
        "Report ",
        h("span", { class: "muted", text: `revision ${report.revision} · updated ` }),
        timeEl(report.updated_at),
      ),
    );
    parts.push(
      h(
        "pre",
        { class: "code report-content", tabindex: "0", "aria-label": "Report content" },
        JSON.stringify(report.content, null, 2),
      ),
    );
    return parts;
  }

  async function loadVideos(claims) {
    const section = $("videos");
    if (!hasRoute("/api/videos")) return void (section.hidden = true);
    let page;
    try {
      page = await api("/api/videos?limit=20");
    } catch (err) {
      if (err.status === 404) return void (section.hidden = true);
      throw err;
    }
    section.hidden = false;
    fill(
      $("video-rows"),
      page.items.length
        ? page.items.map(videoRow)
        : [emptyState("No videos yet. Create one with POST /api/videos (see the README).")],
    );
    await loadQuota(claims);
  }

  function videoRow(video) {
    const running = video.status === "in_progress" || video.status === "queued";
    return h(
      "li",
      { class: "row" },
      h(
        "div",
        { class: "row-main" },
        h("span", { class: "row-title" }, h("strong", { text: video.model }), ` · ${video.seconds} s`),
        badge(video.status),
        h("span", { class: "row-id", title: video.id, text: shortId(video.id) }),
      ),
      running ? progressBar(video.progress, `Progress of video ${video.id}`) : null,
      h("p", { class: "prompt", text: video.prompt || "" }),
      h(
        "div",
        { class: "row-meta" },
        h("span", {}, "created ", timeEl(video.created_at)),
        video.user_id ? h("span", { text: `user ${video.user_id}` }) : null,
        video.error ? h("span", { class: "error-text", text: video.error.message || video.error.code }) : null,
      ),
    );
  }

  async function loadQuota(claims) {
    const box = $("quota");
    if (!claims || !hasRoute("/api/quotas/me")) return void (box.hidden = true);
    let quota;
    try {
      quota = await api("/api/quotas/me");
    } catch (err) {
      if (err.status === 404 || err.status === 403) return void (box.hidden = true);
      throw err;
    }
    const used = quota.videos_used,
      limit = quota.videos_limit;
    fill(box, [
      h(
        "div",
        { class: "quota-head" },
        h("span", { id: "quota-label", text: `Videos this month (${quota.period})` }),
        h("strong", { text: `${number(used)} of ${number(limit)}` }),
      ),
      h("meter", {
        min: 0,
        max: limit || 1,
        value: used,
        low: (limit || 1) * 0.7,
        high: (limit || 1) * 0.9,
        optimum: 0,
        "aria-labelledby": "quota-label",
      }),
      h("p", { class: "muted" }, `${number(quota.remaining)} left · resets `, timeEl(quota.resets_at)),
    ]);
    box.hidden = false;
  }

  async function loadGenerations() {
    const section = $("generations");
    if (!hasRoute("/api/generations")) return void (section.hidden = true);
    let page;
    try {
      page = await api("/api/generations?limit=20");
    } catch (err) {
      if (err.status === 404) return void (section.hidden = true);
      throw err;
    }
    section.hidden = false;
    fill(
      $("generation-rows"),
      page.items.length
        ? page.items.map((gen) =>
            h(
              "li",
              { class: "row" },
              h(
                "div",
                { class: "row-main" },
                h("span", { class: "row-title" }, h("strong", { text: gen.model }), ` · ${gen.video_count} videos`),
                badge(gen.status),
                h("span", { class: "row-id", title: gen.generation_id, text: shortId(gen.generation_id) }),
              ),
              progressBar(gen.progress, `Progress of generation ${gen.generation_id}`),
              h("p", { class: "prompt", text: gen.prompt || "" }),
              h("div", { class: "row-meta" }, h("span", {}, "created ", timeEl(gen.created_at))),
            ),
          )
        : [emptyState("No generations yet. POST /api/generations creates one with its videos.")],
    );
  }

  async function loadMaintenance() {
    const page = await api("/api/maintenance/runs?limit=5");
    fill(
      $("maintenance-rows"),
      page.items.length
        ? page.items.map((run) => {
            const status = run.error ? "failed" : run.finished_at ? "succeeded" : "running";
            const counts = Object.entries(run.counts || {}).filter(([, n]) => n > 0);
            const took = run.finished_at ? Date.parse(run.finished_at) - Date.parse(run.started_at) : null;
            return h(
              "li",
              { class: "row" },
              h(
                "div",
                { class: "row-main" },
                h("span", { class: "row-title" }, h("strong", { text: run.trigger }), " run"),
                badge(status),
                run.more ? h("span", { class: "chip", text: "more to do next run" }) : null,
              ),
              h(
                "div",
                { class: "row-meta" },
                h("span", {}, "started ", timeEl(run.started_at)),
                h("span", { text: `took ${duration(took)}` }),
                counts.length
                  ? counts.map(([k, n]) => h("span", { class: "chip", text: `${k.replace(/_/g, " ")}: ${n}` }))
                  : h("span", { class: "muted", text: "nothing to do" }),
                run.error ? h("span", { class: "error-text", text: run.error }) : null,
              ),
            );
          })
        : [
            h(
              "li",
              { class: "empty-row" },
              snippet("The cron has not run yet. Run maintenance now:", [
                `curl -X POST ${origin()}/api/maintenance/runs -H "Authorization: Bearer $TOKEN"`,
              ]),
            ),
          ],
    );
  }

  // --- errors and notices ---------------------------------------------------------------------
  const SECTION_NAMES = {
    health: "Health",
    stats: "Overview",
    queue: "Export queue",
    runs: "Job runs",
    videos: "Videos",
    generations: "Generations",
    maintenance: "Maintenance",
    retry: "Retry",
  };

  function setError(section, message) {
    state.errors.set(section, message);
    const inline = document.querySelector(`[data-error-for="${section}"]`);
    if (inline) {
      inline.textContent = message;
      inline.hidden = false;
    }
    renderAlerts();
  }

  function clearError(section) {
    if (!state.errors.delete(section)) return;
    const inline = document.querySelector(`[data-error-for="${section}"]`);
    if (inline) inline.hidden = true;
    renderAlerts();
  }

  function renderAlerts() {
    const box = $("alerts");
    const items = [...state.errors].map(([section, message]) =>
      h("li", {}, h("strong", { text: `${SECTION_NAMES[section]}: ` }), message),
    );
    const text = items.map((li) => li.textContent).join("\n");
    if (box.dataset.text === text) return; // unchanged: do not announce it again
    box.dataset.text = text;
    box.replaceChildren(...(items.length ? [h("ul", {}, items)] : []));
  }

  let noticeTimer = 0;
  function notify(message) {
    const box = $("notice");
    box.textContent = message;
    box.classList.add("show");
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => box.classList.remove("show"), 4000);
  }

  // --- refresh loop ---------------------------------------------------------------------------
  async function runSection(section, loader) {
    try {
      await loader();
      clearError(section);
    } catch (err) {
      if (err.status === 401) throw err;
      const label = err.status ? ` (${err.status} ${err.code})` : "";
      setError(section, `${err.message}${label}`);
    }
  }

  async function refreshOnce() {
    const claims = userClaims(getToken());
    await loadPaths();
    const jobs = [runSection("health", loadHealth)];
    if (!claims) {
      jobs.push(
        runSection("stats", loadStats),
        runSection("queue", loadQueue),
        runSection("maintenance", loadMaintenance),
      );
      if (hasRoute("/api/job-runs")) jobs.push(runSection("runs", loadRuns));
    }
    $("overview").hidden = $("queue").hidden = $("throughput").hidden = $("maintenance").hidden = Boolean(claims);
    $("runs").hidden = Boolean(claims) || !hasRoute("/api/job-runs");
    jobs.push(
      runSection("videos", () => loadVideos(claims)),
      runSection("generations", loadGenerations),
    );
    const results = await Promise.allSettled(jobs);
    const unauthorized = results.find((r) => r.status === "rejected" && r.reason.status === 401);
    if (unauthorized) {
      askForToken(`The API refused the token: ${unauthorized.reason.message} Enter it again.`);
      return;
    }
    state.lastRefresh = Date.now();
    $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    schedule();
  }

  function refresh() {
    if (!getToken()) return Promise.resolve();
    if (!state.inflight) {
      clearTimeout(state.timer);
      state.inflight = refreshOnce().finally(() => {
        state.inflight = null;
      });
    }
    return state.inflight;
  }

  function schedule() {
    clearTimeout(state.timer);
    if (!document.hidden && getToken()) state.timer = setTimeout(refresh, REFRESH_MS);
  }

  // --- wiring ---------------------------------------------------------------------------------
  function start() {
    const why = $("token-reason");
    why.dataset.default = why.textContent.trim().replace(/\s+/g, " ");
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token-input").value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $("token-input").value = "";
      showDashboard();
      $("main").focus({ preventScroll: true });
      window.scrollTo(0, 0);
      refresh();
    });
    $("run-filters").addEventListener("submit", (event) => event.preventDefault());
    $("change-token").addEventListener("click", () => askForToken(""));
    $("refresh-now").addEventListener("click", () => refresh());
    $("report-close").addEventListener("click", () => $("report-dialog").close());
    $("report-dialog").addEventListener("click", (event) => {
      if (event.target === event.currentTarget) event.currentTarget.close(); // the backdrop
    });
    const status = $("run-status");
    const type = $("run-type");
    status.addEventListener("change", () => {
      state.runFilter.status = status.value;
      refresh();
    });
    let typing = 0;
    type.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => {
        state.runFilter.type = type.value.trim();
        refresh();
      }, 400);
    });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) clearTimeout(state.timer);
      else if (Date.now() - state.lastRefresh >= REFRESH_MS) refresh();
      else schedule();
    });
    if (getToken()) {
      showDashboard();
      refresh();
    } else {
      askForToken("");
      loadHealth().catch(() => {}); // public: the pill says whether the API is up before sign-in
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
