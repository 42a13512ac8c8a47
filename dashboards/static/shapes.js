// What a widget's answer holds, found by shape rather than by name, so any saved query can be
// drawn: its first list of objects (buckets, top rows…) and its first object of numbers (totals).
// Keys keep the order of the query's selection: the first text field labels a row, the first
// number ranks a top list.

const DATE = /^\d{4}-\d{2}-\d{2}T/;

function objects(value) {
  return Array.isArray(value) && value.every((v) => v !== null && typeof v === "object");
}

// The first list of objects, depth first; [] when the answer holds none.
export function rows(data) {
  if (data === null || typeof data !== "object") return null;
  if (objects(data)) return data;
  for (const value of Object.values(data)) {
    const found = rows(value);
    if (found !== null) return found;
  }
  return null;
}

function isScalar(value) {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

// The first object (not a list's member) with a number among its fields: [[field, value], …].
export function figures(data) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return [];
  const own = Object.entries(data).filter(([, v]) => typeof v === "number");
  if (own.length) return own;
  for (const value of Object.values(data)) {
    const found = figures(value);
    if (found.length) return found;
  }
  return [];
}

export function numberKeys(list) {
  const first = list[0] || {};
  return Object.keys(first).filter((k) => list.some((r) => typeof r[k] === "number"));
}

export function labelKey(list) {
  const first = list[0] || {};
  return Object.keys(first).find((k) => typeof first[k] === "string") || null;
}

export function timeKey(list) {
  const first = list[0] || {};
  return Object.keys(first).find((k) => typeof first[k] === "string" && DATE.test(first[k])) || null;
}

export function scalarKeys(list) {
  const first = list[0] || {};
  return Object.keys(first).filter((k) => isScalar(first[k]));
}
