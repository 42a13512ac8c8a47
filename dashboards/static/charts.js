// Hand-drawn SVG charts. Every drawn figure carries its raw value in data-* attributes (what the
// browser test reads) and a <title> (what a reader's tooltip shows).
import { figures, labelKey, numberKeys, rows, scalarKeys, timeKey } from "./shapes.js";

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6"];
const W = 600, H = 220, PAD = { left: 40, right: 10, top: 10, bottom: 24 };
const format = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function html(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function canvas() {
  return el("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img" });
}

function legend(series) {
  const box = html("div", { class: "legend" });
  series.forEach((name, i) => {
    const item = html("span");
    const swatch = html("i");
    swatch.style.background = COLORS[i % COLORS.length]; // CSSOM: the page's CSP forbids style=""
    item.append(swatch, name);
    box.append(item);
  });
  return box;
}

function empty() {
  return html("p", { class: "empty" }, "No data");
}

function yAxis(svg, max) {
  svg.append(el("text", { x: 2, y: PAD.top + 8 }, format.format(max)));
  svg.append(el("text", { x: 2, y: H - PAD.bottom }, "0"));
}

function shortTime(iso) {
  return iso.replace(/^\d{4}-/, "").replace("T", " ").replace(/:00(\.000)?(Z|[+-]\d\d:\d\d)$/, "");
}

export function timeseries(data) {
  const list = rows(data) || [];
  const x = timeKey(list);
  const series = numberKeys(list);
  if (!list.length || x === null || !series.length) return [empty()];
  const svg = canvas();
  const times = list.map((r) => Date.parse(r[x]));
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const max = Math.max(1, ...list.flatMap((r) => series.map((s) => r[s] ?? 0)));
  const px = (t) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const py = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  yAxis(svg, max);
  svg.append(el("text", { x: PAD.left, y: H - 6 }, shortTime(list[0][x])));
  svg.append(el("text", { x: W - PAD.right, y: H - 6, "text-anchor": "end" }, shortTime(list[list.length - 1][x])));
  series.forEach((name, i) => {
    const color = COLORS[i % COLORS.length];
    const points = list.filter((r) => typeof r[name] === "number");
    const line = points.map((r) => `${px(Date.parse(r[x]))},${py(r[name])}`).join(" ");
    svg.append(el("polyline", { points: line, fill: "none", stroke: color, "stroke-width": 2 }));
    for (const r of points) {
      const dot = el("circle", {
        cx: px(Date.parse(r[x])), cy: py(r[name]), r: 3, fill: color,
        "data-series": name, "data-x": r[x], "data-value": String(r[name]),
      });
      dot.append(el("title", {}, `${name} ${r[x]}: ${format.format(r[name])}`));
      svg.append(dot);
    }
  });
  return [svg, legend(series)];
}

export function bars(data) {
  const list = rows(data) || [];
  const label = labelKey(list);
  const series = numberKeys(list);
  if (!list.length || label === null || !series.length) return [empty()];
  const svg = canvas();
  const max = Math.max(1, ...list.flatMap((r) => series.map((s) => r[s] ?? 0)));
  const slot = (W - PAD.left - PAD.right) / list.length;
  const width = (slot * 0.8) / series.length;
  yAxis(svg, max);
  list.forEach((r, j) => {
    series.forEach((name, i) => {
      const value = r[name] ?? 0;
      const height = (value / max) * (H - PAD.top - PAD.bottom);
      const bar = el("rect", {
        x: PAD.left + j * slot + slot * 0.1 + i * width, y: H - PAD.bottom - height,
        width, height, fill: COLORS[i % COLORS.length],
        "data-series": name, "data-label": String(r[label]), "data-value": String(r[name]),
      });
      bar.append(el("title", {}, `${r[label]} ${name}: ${format.format(value)}`));
      svg.append(bar);
    });
    if (list.length <= 12) {
      const text = timeKey(list) === label ? shortTime(r[label]) : r[label];
      svg.append(el("text", { x: PAD.left + j * slot + slot / 2, y: H - 6, "text-anchor": "middle" }, text));
    }
  });
  return [svg, legend(series)];
}

export function top(data) {
  const list = rows(data) || [];
  const label = labelKey(list);
  const [value] = numberKeys(list);
  if (!list.length || label === null || value === undefined) return [empty()];
  const sorted = [...list].sort((a, b) => (b[value] ?? -Infinity) - (a[value] ?? -Infinity));
  const max = Math.max(1e-9, ...sorted.map((r) => r[value] ?? 0));
  const ol = html("ol", { class: "top" });
  for (const r of sorted) {
    const li = html("li", { "data-label": String(r[label]), "data-value": String(r[value]) });
    li.append(`${r[label]}: ${r[value] === null ? "–" : format.format(r[value])} ${value}`);
    const bar = html("span", { class: "bar" });
    bar.style.width = `${((r[value] ?? 0) / max) * 100}%`;
    li.append(bar);
    ol.append(li);
  }
  return [ol];
}

export function number(data) {
  const found = figures(data);
  if (!found.length) return [empty()];
  const box = html("div", { class: "figures" });
  for (const [name, value] of found) {
    const figure = html("div", { class: "figure", "data-field": name, "data-value": String(value) });
    figure.append(html("b", {}, format.format(value)), html("span", {}, name));
    box.append(figure);
  }
  return [box];
}

export function table(data) {
  const list = rows(data);
  const body = list && list.length ? list : figures(data).map(([field, value]) => ({ field, value }));
  if (!body.length) return [empty()];
  const columns = scalarKeys(body);
  const grid = html("table");
  const head = html("tr");
  for (const c of columns) head.append(html("th", {}, c));
  grid.append(head);
  for (const r of body) {
    const tr = html("tr");
    for (const c of columns) {
      const v = r[c];
      const shown = typeof v === "number" ? format.format(v) : v === null ? "–" : String(v);
      tr.append(html("td", { "data-column": c, "data-value": String(v), class: typeof v === "number" ? "num" : "" }, shown));
    }
    grid.append(tr);
  }
  return [grid];
}

export const DRAW = { TIMESERIES: timeseries, BARS: bars, TOP: top, NUMBER: number, TABLE: table };
