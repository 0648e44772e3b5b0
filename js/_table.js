// Sorting and filtering of the GGUFBrowser table rows (records synced from Python).
// Mirrors hfollama_widgets/widgets/_browser_table.py: filter_listing(); keep the two in step.

/** Column key -> the record field it sorts by (quality sorts by rank, 1 = best). */
const SORT_FIELD = { quality: "rank", fit: "fit_rank" };

function sortValue(row, key) {
  const value = row[SORT_FIELD[key] ?? key];
  return value === undefined ? null : value;
}

/** Compare two values: numbers numerically, strings naturally ("Q4" < "Q10"); null last. */
export function compareValues(a, b) {
  const aNull = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
  const bNull = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" || typeof b === "boolean") return Number(a) - Number(b);
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

/** A sorted copy of rows (stable); missing values stay last in both directions. */
export function sortRows(rows, key, descending) {
  if (!key) return rows.slice();
  const indexed = rows.map((row, i) => [row, i]);
  indexed.sort(([ra, ia], [rb, ib]) => {
    const a = sortValue(ra, key);
    const b = sortValue(rb, key);
    const aNull = a === null;
    const bNull = b === null;
    if (aNull || bNull) return aNull === bNull ? ia - ib : aNull ? 1 : -1;
    const c = compareValues(a, b);
    return (descending ? -c : c) || ia - ib;
  });
  return indexed.map(([row]) => row);
}

/** Rows at most maxSizeGb (1e9 bytes) whose quant, file name, quality or kind contain text. */
export function filterRows(rows, maxSizeGb, text) {
  const needle = (text ?? "").trim().toLowerCase();
  const limit = maxSizeGb === null || maxSizeGb === undefined || Number.isNaN(Number(maxSizeGb)) ? null : Number(maxSizeGb) * 1e9;
  return rows.filter((row) => {
    if (limit !== null && typeof row.size === "number" && row.size > limit) return false;
    if (!needle) return true;
    const hay = [row.quant, row.filename, row.quality, row.kind].filter((v) => v !== null && v !== undefined).join(" ").toLowerCase();
    return hay.includes(needle);
  });
}

/** Compact counts: 152344 -> "152.3K". */
export function formatCount(n) {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return "–";
  return new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(Number(n));
}

/** Parameter counts: 1235814432 -> "1.24B". */
export function formatParams(n) {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return null;
  n = Number(n);
  for (const [div, unit] of [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]]) {
    if (n >= div) return `${(n / div).toFixed(n / div >= 100 ? 0 : 2).replace(/\.?0+$/, "")}${unit}`;
  }
  return String(n);
}

/** Context lengths: 131072 -> "131,072". */
export function formatTokens(n) {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return null;
  return Number(n).toLocaleString("en");
}
