// The portal's page: the same JSON API as any other client, with the bearer token kept in
// sessionStorage. Live events come from the SSE endpoint through fetch() (EventSource cannot send
// an Authorization header), reconnecting with Last-Event-ID until the run's `run-ended` event.
"use strict";

const state = { token: sessionStorage.getItem("portal-token") ?? "", selected: null, stream: null };

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function row(cells, attrs = {}) {
  const tr = el("tr", null, attrs);
  for (const c of cells) {
    const td = el("td");
    if (c instanceof Node) td.append(c);
    else td.textContent = c === undefined || c === null ? "" : String(c);
    tr.append(td);
  }
  return tr;
}

function statusBadge(status) {
  return el("span", status, { class: `status status-${status}` });
}

function showError(message) {
  const p = document.getElementById("error");
  p.textContent = message ?? "";
  p.hidden = !message;
}

function headers(extra = {}) {
  return state.token ? { ...extra, Authorization: `Bearer ${state.token}` } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers ?? {}) });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message ?? `${response.status} ${response.statusText}`);
  return body;
}

const changesText = (changes) =>
  Object.entries(changes ?? {})
    .map(([op, n]) => `${op} ${n}`)
    .join(", ");

async function loadWhoami() {
  const who = await api("/api/whoami");
  document.getElementById("whoami").textContent = `${who.name} (${who.role})`;
}

async function loadStacks() {
  const { stacks } = await api("/api/stacks");
  const body = document.querySelector("#stacks tbody");
  body.replaceChildren(
    ...stacks.map((s) =>
      row(
        [
          s.stack,
          s.role,
          s.region,
          s.lastRun ? `${s.lastRun.operation}: ${s.lastRun.stackStatus ?? s.lastRun.status}` : "-",
          s.lockedBy ? `run ${s.lockedBy.slice(0, 8)}` : "free",
        ],
        { "data-stack": s.stack },
      ),
    ),
  );
  const choice = document.getElementById("stack-choice");
  if (choice.querySelectorAll("input").length === 0) {
    for (const s of stacks) {
      const label = el("label");
      label.append(el("input", null, { type: "checkbox", value: s.stack }), ` ${s.stack}`);
      choice.append(label);
    }
  }
}

async function loadWaves() {
  const operation = document.getElementById("waves-operation").value;
  const plan = await api(`/api/waves?operation=${encodeURIComponent(operation)}`);
  document
    .getElementById("waves")
    .replaceChildren(
      ...plan.waves.map((w) => el("li", `${w.tier}: ${w.stacks.map((s) => s.stack).join(", ")}`)),
    );
}

async function loadRuns() {
  const { runs } = await api("/api/runs?limit=50");
  const body = document.querySelector("#runs tbody");
  body.replaceChildren(
    ...runs.map((r) => {
      const tr = row(
        [
          el("code", r.id.slice(0, 8)),
          r.operation,
          statusBadge(r.status),
          r.stacks.join(", "),
          r.requestedBy,
          new Date(r.createdAt).toLocaleString(),
        ],
        { "data-run": r.id, class: r.id === state.selected ? "selected" : "" },
      );
      tr.addEventListener("click", () => selectRun(r.id));
      return tr;
    }),
  );
}

function renderRun(run) {
  document.getElementById("run-section").hidden = false;
  document.getElementById("run-id").textContent = run.id;
  const status = document.getElementById("run-status");
  status.textContent = run.status;
  status.className = `status status-${run.status}`;
  document.getElementById("cancel").hidden = !["queued", "running"].includes(run.status);
  document
    .querySelector("#run-stacks tbody")
    .replaceChildren(
      ...run.results.map((r) =>
        row(
          [r.wave, r.stack, statusBadge(r.status), changesText(r.changes), r.violations, r.error],
          { "data-stack": r.stack },
        ),
      ),
    );
}

function renderPolicy(violations, planned) {
  const mandatory = violations.filter((v) => v.enforcement === "mandatory").length;
  const text = planned
    ? `${violations.length} policy violation(s), ${mandatory} mandatory` +
      (mandatory === 0 ? ": passes the policy pack" : ": fails the policy pack")
    : "no policy result yet";
  document.getElementById("policy").textContent = text;
  document
    .getElementById("violations")
    .replaceChildren(
      ...violations.map((v) =>
        el("li", `[${v.enforcement}] ${v.policy} (${v.stack}) ${v.urn ?? ""}: ${v.message}`),
      ),
    );
}

function describe(e) {
  switch (e.type) {
    case "run-started":
      return `run started: ${e.operation}, waves ${e.waves.map((w) => w.join("+")).join(" -> ")}`;
    case "wave-started":
      return `wave ${e.wave}: ${e.stacks.join(", ")}`;
    case "stack-started":
      return `${e.stack}: started`;
    case "stack-planned":
      return `${e.stack}: ${e.plan.resources} resources, ${e.plan.violations.length} violation(s)`;
    case "stack-finished":
      return `${e.stack}: ${e.result.status}${e.result.error ? ` (${e.result.error})` : ""}`;
    case "resource-step":
      return `${e.stack}: ${e.phase} ${e.op} ${e.urn}`;
    case "policy-violation":
      return `${e.stack}: [${e.enforcement}] ${e.policy}: ${e.message}`;
    case "diagnostic":
      return `${e.stack}: ${e.severity}: ${e.message}`;
    case "cancel-requested":
      return `cancel requested by ${e.by}`;
    case "run-finished":
      return `run finished: ${e.result.ok ? "ok" : "not ok"}`;
    case "run-ended":
      return `run ended: ${e.status}${e.error ? ` (${e.error})` : ""}`;
    default:
      return e.type;
  }
}

/** Parses an SSE body as it arrives; calls onEvent with each event's id and JSON data. */
async function readStream(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id = null;
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("id:")) id = line.slice(3).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(id, JSON.parse(data.join("\n")));
    }
  }
}

async function follow(runId) {
  const controller = new AbortController();
  state.stream?.abort();
  state.stream = controller;
  const list = document.getElementById("events");
  list.replaceChildren();
  const violations = [];
  let planned = false;
  let lastId = 0;
  let ended = false;
  while (!ended && !controller.signal.aborted) {
    try {
      const response = await fetch(`/api/runs/${runId}/events`, {
        headers: headers(lastId > 0 ? { "Last-Event-ID": String(lastId) } : {}),
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(`events: ${response.status}`);
      await readStream(response, (id, e) => {
        lastId = Number(id);
        list.append(el("li", `#${e.id} ${describe(e)}`, { "data-type": e.type }));
        if (e.type === "policy-violation") violations.push(e);
        if (e.type === "stack-planned" || e.type === "run-finished") planned = true;
        if (e.type === "stack-planned" || e.type === "policy-violation") {
          renderPolicy(violations, planned);
        }
        if (["stack-started", "stack-finished", "run-ended"].includes(e.type)) {
          api(`/api/runs/${runId}`).then(renderRun, () => undefined);
        }
        if (e.type === "run-ended") {
          ended = true;
          renderPolicy(violations, planned);
          refresh();
        }
      });
    } catch (err) {
      if (controller.signal.aborted) return;
      showError(String(err.message ?? err));
    }
    if (!ended) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function selectRun(id) {
  state.selected = id;
  const run = await api(`/api/runs/${id}`);
  renderRun(run);
  renderPolicy([], false);
  await loadRuns();
  follow(id);
}

async function refresh() {
  try {
    showError("");
    await Promise.all([loadWhoami(), loadStacks(), loadWaves(), loadRuns()]);
  } catch (err) {
    showError(err.message);
  }
}

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = document.getElementById("token").value.trim();
  sessionStorage.setItem("portal-token", state.token);
  refresh();
});

document.getElementById("waves-operation").addEventListener("change", () => {
  loadWaves().catch((err) => showError(err.message));
});

document.getElementById("start-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const operation = document.getElementById("operation").value;
  const stacks = [...document.querySelectorAll("#stack-choice input:checked")].map((i) => i.value);
  const body = { operation, ...(stacks.length > 0 ? { stacks } : {}) };
  if (operation === "destroy") {
    const typed = prompt(`Type the stacks to destroy (${stacks.join(",")}):`) ?? "";
    body.confirm = typed
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  try {
    showError("");
    const run = await api("/api/runs", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
      body: JSON.stringify(body),
    });
    await selectRun(run.id);
    await loadStacks();
  } catch (err) {
    showError(err.message);
  }
});

document.getElementById("cancel").addEventListener("click", async () => {
  try {
    await api(`/api/runs/${state.selected}/cancel`, { method: "POST" });
  } catch (err) {
    showError(err.message);
  }
});

document.getElementById("token").value = state.token;
refresh();
