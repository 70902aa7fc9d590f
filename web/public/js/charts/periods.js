// Period presets for the dashboard filter bar, resolved to inclusive calendar dates
// {from: "YYYY-MM-DD", to: "YYYY-MM-DD"} in the browser's local calendar.

export const PRESETS = [
  'this_month', 'last_month', 'this_quarter', 'last_quarter', 'year_to_date',
  'this_year', 'last_year', 'last_30_days', 'last_90_days', 'last_12_months', 'custom',
];

function iso(d) {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${y}-${m}-${day}`;
}

function lastDayOfMonth(y, m) { return new Date(y, m + 1, 0); }

/** Resolves a preset name to {from, to}; null for "custom" or an unknown name. */
export function resolvePreset(name, today = new Date()) {
  const y = today.getFullYear();
  const m = today.getMonth();
  const q = Math.floor(m / 3);
  switch (name) {
    case 'this_month': return { from: iso(new Date(y, m, 1)), to: iso(lastDayOfMonth(y, m)) };
    case 'last_month': return { from: iso(new Date(y, m - 1, 1)), to: iso(lastDayOfMonth(y, m - 1)) };
    case 'this_quarter': return { from: iso(new Date(y, q * 3, 1)), to: iso(lastDayOfMonth(y, q * 3 + 2)) };
    case 'last_quarter': return { from: iso(new Date(y, (q - 1) * 3, 1)), to: iso(lastDayOfMonth(y, (q - 1) * 3 + 2)) };
    case 'year_to_date': return { from: iso(new Date(y, 0, 1)), to: iso(today) };
    case 'this_year': return { from: iso(new Date(y, 0, 1)), to: iso(new Date(y, 11, 31)) };
    case 'last_year': return { from: iso(new Date(y - 1, 0, 1)), to: iso(new Date(y - 1, 11, 31)) };
    case 'last_30_days': return { from: iso(new Date(y, m, today.getDate() - 29)), to: iso(today) };
    case 'last_90_days': return { from: iso(new Date(y, m, today.getDate() - 89)), to: iso(today) };
    case 'last_12_months': return { from: iso(new Date(y, m - 11, 1)), to: iso(lastDayOfMonth(y, m)) };
    default: return null;
  }
}

export function isIsoDate(value) {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(new Date(value).getTime());
}
