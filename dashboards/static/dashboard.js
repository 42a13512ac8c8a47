// The dashboard page: reads the dashboard and its widgets' answers through /graphql with the
// viewer's token, draws them, re-asks when the range or a filter changes, and follows the
// dashboard's subscription so each stored batch redraws it. The token comes from the fragment
// (#token=…, never sent to a server); one given as ?token= is moved there at once, so it stays
// out of the history, of every later request and of what the viewer copies. The URL's other
// parameters (range, from, to, any filter) set the first view, so an embedding product can
// choose it. An embed token (a `dashboard` claim) may pick only the range: its other filters
// were fixed when it was minted, so the page offers no filter inputs then.
import { DRAW } from "./charts.js";
import { subscribe } from "./live.js";

const SELECTION = `dashboard(id: $id, filters: $filters, range: $range) {
  id name filters
  widgets { id title kind position { x y w h } data errors { message code } } }`;
const VARIABLES = "$id: ID!, $filters: JSON, $range: WidgetRange";
const QUERY = `query Dashboard(${VARIABLES}) { ${SELECTION} }`;
const LIVE = `subscription LiveDashboard(${VARIABLES}) { ${SELECTION} }`;
// Filters offered even when the dashboard sets no default for them.
const COMMON_FILTERS = ["channel", "orgUnit"];
const NOT_FILTERS = new Set(["token", "range", "from", "to"]);

const body = document.body;
const form = document.getElementById("controls");
const status = document.getElementById("status");
const dashboardId = pathId();
const token = takeToken();
const embedded = isEmbedToken(token);
let stopLive = () => {};
let renders = 0;

// The last path segment; a malformed %-escape leaves it as written (the API then knows no such id).
function pathId() {
  const last = location.pathname.split("/").filter(Boolean).pop() || "";
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function takeToken() {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (query.has("token")) {
    if (!fragment.get("token")) fragment.set("token", query.get("token"));
    query.delete("token");
    const rest = query.toString();
    history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}#${fragment}`);
  }
  return fragment.get("token");
}

// Only decides what the page offers; the API enforces what the token may do.
function isEmbedToken(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return Boolean(JSON.parse(atob(payload)).dashboard);
  } catch {
    return false;
  }
}

function fail(message) {
  body.dataset.state = "error";
  status.textContent = message;
}

function setStatus(text) {
  if (body.dataset.state !== "error") status.textContent = text;
}

// A picked range replaces every widget's own; the API computes a relative one at each answer and
// push, so a live "last 24 hours" keeps moving. null: each widget keeps its saved range.
function pickedRange() {
  return form.range.value === "saved" ? null : form.range.value.toUpperCase();
}

// The variables the viewer's choices override: a custom range's from/to, and each filled filter.
function overrides() {
  const chosen = {};
  if (form.range.value === "custom") {
    if (form.from.value) chosen.from = form.from.value.trim();
    if (form.to.value) chosen.to = form.to.value.trim();
  }
  if (!embedded && !document.getElementById("filters").dataset.ready) {
    // Before the first answer names the filters, the URL's are the viewer's choice.
    for (const [name, value] of new URLSearchParams(location.search)) {
      if (!NOT_FILTERS.has(name) && value) chosen[name] = value;
    }
  }
  for (const input of document.querySelectorAll("#filters input")) {
    if (input.value.trim()) chosen[input.name] = input.value.trim();
  }
  return chosen;
}

function rememberInUrl() {
  const params = new URLSearchParams(location.search);
  for (const key of [...params.keys()]) params.delete(key);
  params.set("range", form.range.value);
  if (form.range.value === "custom") {
    params.set("from", form.from.value.trim());
    params.set("to", form.to.value.trim());
  }
  for (const input of document.querySelectorAll("#filters input")) {
    if (input.value.trim()) params.set(input.name, input.value.trim());
  }
  history.replaceState(null, "", `${location.pathname}?${params}${location.hash}`);
}

function showRange() {
  form.classList.toggle("custom-range", form.range.value === "custom");
}

function offerFilters(defaults) {
  const box = document.getElementById("filters");
  if (box.dataset.ready) return;
  box.dataset.ready = "1";
  if (embedded) return;
  const params = new URLSearchParams(location.search);
  const names = [...new Set([...Object.keys(defaults), ...COMMON_FILTERS, ...params.keys()])];
  for (const name of names.filter((n) => !NOT_FILTERS.has(n))) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.name = name;
    input.id = `filter-${name}`;
    input.value = params.get(name) || "";
    const shown = defaults[name];
    input.placeholder = shown === undefined ? "any" : String(shown);
    label.append(`${name} `, input);
    box.append(label);
  }
}

function widgetNode(widget) {
  let node = document.querySelector(`section[data-widget="${CSS.escape(widget.id)}"]`);
  if (!node) {
    node = document.createElement("section");
    node.className = "widget";
    node.dataset.widget = widget.id;
    document.getElementById("grid").append(node);
  }
  const p = widget.position;
  node.style.gridColumn = `${p.x + 1} / span ${p.w}`;
  node.style.gridRow = `${p.y + 1} / span ${p.h}`;
  node.dataset.kind = widget.kind.toLowerCase();
  return node;
}

function drawWidget(widget) {
  const node = widgetNode(widget);
  const title = document.createElement("h2");
  title.textContent = widget.title;
  const parts = [title];
  if (widget.errors.length) {
    // A refused or failed widget shows its reason alone, not an empty chart beside it.
    const errors = document.createElement("p");
    errors.className = "errors";
    errors.textContent = widget.errors.map((e) => e.message).join(" ");
    parts.push(errors);
  } else if (widget.data !== null) {
    // A kind this page does not know yet still shows its figures, as a table.
    parts.push(...(DRAW[widget.kind] || DRAW.TABLE)(widget.data));
  }
  node.replaceChildren(...parts);
  node.dataset.state = widget.errors.length ? "error" : "ready";
}

function draw(dashboard) {
  document.title = dashboard.name;
  document.getElementById("name").textContent = dashboard.name;
  offerFilters(dashboard.filters || {});
  const ids = new Set(dashboard.widgets.map((w) => w.id));
  for (const old of document.querySelectorAll("section[data-widget]")) {
    if (!ids.has(old.dataset.widget)) old.remove();
  }
  dashboard.widgets.forEach(drawWidget);
  renders += 1;
  body.dataset.renders = String(renders);
  body.dataset.state = "ready";
}

function answered(payload) {
  const dashboard = payload.data && payload.data.dashboard;
  if (dashboard) {
    draw(dashboard);
    return true;
  }
  fail((payload.errors || [{ message: "No answer." }]).map((e) => e.message).join(" "));
  return false;
}

async function load() {
  const variables = { id: dashboardId, filters: overrides(), range: pickedRange() };
  setStatus("Loading…");
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY, variables }),
  });
  if (!answered(await response.json())) return;
  setStatus(`Updated ${new Date().toLocaleTimeString()}`);
  stopLive();
  stopLive = subscribe({
    token,
    query: LIVE,
    variables,
    onData: (payload) => {
      if (answered(payload)) setStatus(`Live · updated ${new Date().toLocaleTimeString()}`);
    },
    onError: (errors) => setStatus(`Not live: ${errors.map((e) => e.message).join(" ")}`),
    // The API closed the socket on the token (expired, or refused): nothing shown is current.
    onRefused: (reason) => fail(reason),
    onState: (state) => setStatus(state === "live" ? "Live" : "Reconnecting…"),
  });
}

function start() {
  if (!token) {
    fail("No token: open this page as /dashboards/ID#token=… (`embedToken` mints one).");
    return;
  }
  const params = new URLSearchParams(location.search);
  form.range.value = params.get("range") || (params.get("from") ? "custom" : "saved");
  if (!form.range.value) form.range.value = "saved"; // a range the picker does not offer
  form.from.value = params.get("from") || "";
  form.to.value = params.get("to") || "";
  showRange();
  form.range.addEventListener("change", showRange);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    body.dataset.state = "loading";
    rememberInUrl();
    load().catch((error) => fail(String(error)));
  });
  load().catch((error) => fail(String(error)));
}

start();
