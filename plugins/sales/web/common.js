// Shared by the sales pages: the host's API (set once by init(host) from main.js), the module's
// constants and small helpers. Pages import what they use from here; nothing here imports the
// core web app directly, so the pages work against the documented host API alone.

export let host = null;
export let h; export let icon; export let replace; export let debounce;
export let t; export let has; export let localized; export let getLocale;
export let formatCurrency; export let formatNumber; export let formatPercent; export let formatDate; export let formatDateTime; export let formatRelative; export let personName;
export let api; export let seg; export let can; export let fieldDenied;
export let pageHeader; export let dataTable; export let pager; export let loadingState; export let emptyState; export let errorState;
export let toast; export let toastError; export let openDialog; export let chip;
export let createForm; export let textInput; export let selectInput;
export let simpleChart; export let tipHead; export let tipRow; export let TOOLTIP;
export let navigate; export let href; export let updateQuery; export let focusHeading;

export function init(x) {
  host = x;
  ({ h, icon, replace, debounce } = x.dom);
  ({ t, has, localized, locale: getLocale, formatCurrency, formatNumber, formatPercent, formatDate, formatDateTime, formatRelative, personName } = x.i18n);
  ({ api, seg, can, fieldDenied, focusHeading } = x);
  ({ pageHeader, dataTable, pager, loadingState, emptyState, errorState, toast, toastError, openDialog, chip } = x.ui);
  ({ createForm, textInput, selectInput } = x.forms);
  ({ simpleChart, tipHead, tipRow, TOOLTIP } = x.charts);
  ({ navigate, href, updateQuery } = x.router);
}

/** A page of this module: "#/m/<id>/…" (link) and a navigation there (go). */
export const link = (path, query) => host.href(path, query);
export const go = (path, query, opts) => host.navigate(path, query, opts);

// Permission names the pages check (the server enforces them regardless).
export const PERM = {
  leadRead: ['sales.lead.read'],
  leadWrite: ['sales.lead.write'],
  opportunityRead: ['sales.opportunity.read'],
  opportunityWrite: ['sales.opportunity.write'],
  forecastRead: ['sales.forecast.read'],
};

export const LEAD_STATUSES = ['new', 'working', 'qualified', 'disqualified', 'converted'];
export const LEAD_SOURCES = ['web', 'referral', 'partner', 'event', 'cold_call', 'advertising', 'other'];
export const SIZE_BANDS = ['1-10', '11-50', '51-200', '201-1000', '1000+'];
export const STATUS_CHIP = { new: 'info', working: 'amber', qualified: 'green', disqualified: 'neutral', converted: 'green', open: 'info', won: 'green', lost: 'red' };
export const CURRENCIES = ['CNY', 'USD', 'EUR', 'HKD', 'JPY', 'GBP', 'SGD'];

/** Translation of an enumerated value (status, source, …), else the value itself. */
export function tr(key, value) {
  const k = `${key}.${value}`;
  return has(k) ? t(k) : String(value ?? '');
}
export const money = (v, cur, compact = false) => (v === null || v === undefined ? '—' : formatCurrency(v, cur || 'CNY', { compact }));
export const amountHidden = () => fieldDenied('sales.opportunity.amount');

export function crumbs(...items) { return [{ label: t('module'), href: link('/opportunities') }, ...items]; }

/** A "not available" state when the sales API answers 404 for a collection. */
export function unavailable(err, retry) {
  if (err && err.status === 404 && /nothing at/i.test(err.serverMessage || '')) {
    return h('div', { class: 'state state-unavailable', dataset: { unavailable: 'true' } },
      h('p', { class: 'state-title', text: t('unavailable_title') }), h('p', { class: 'state-hint', text: t('unavailable_hint') }));
  }
  return errorState(err, retry);
}

// ---- shared data ------------------------------------------------------------------------------

let pipelineCache = null;
export async function loadPipelines(signal) {
  if (pipelineCache) return pipelineCache;
  const data = await api.get('/api/v1/sales/pipelines', { signal });
  pipelineCache = ((data && data.items) || []).map((p) => ({ ...p, stages: (p.stages || []).slice().sort((a, b) => a.position - b.position) }));
  setTimeout(() => { pipelineCache = null; }, 60_000);
  return pipelineCache;
}

export function stageName(o) { return localized(o.stage_name) || `#${o.stage_id}`; }

export function definition(label, value) {
  return [h('dt', { text: label }), h('dd', null, value === null || value === undefined || value === '' ? '—' : value)];
}

export function scoreBar(score) {
  const n = Math.max(0, Math.min(100, Number(score) || 0));
  const fill = h('span', { class: `score-fill ${n >= 70 ? 'hot' : n >= 40 ? 'warm' : 'cold'}` });
  fill.style.width = `${n}%`;
  return h('span', { class: 'score', title: t('leads.score_of', { score: n }) }, h('span', { class: 'score-num num', text: formatNumber(n) }), h('span', { class: 'score-track', 'aria-hidden': 'true' }, fill));
}

export function tile(value, label, kind, id, title) {
  return h('div', { class: `summary-tile tile-${kind}`, id, title },
    h('span', { class: 'summary-value num', text: value }), h('span', { class: 'summary-label', text: label }));
}

export function closeDateCell(o) {
  if (!o.expected_close_date) return '—';
  const overdue = o.status === 'open' && o.expected_close_date < new Date().toISOString().slice(0, 10);
  return h('span', { class: overdue ? 'overdue' : '' }, formatDate(o.expected_close_date), overdue ? h('span', { class: 'sr-only', text: ` (${t('opps.overdue')})` }) : null);
}

/** Horizontal bars: the 10 accounts with the most amount. Names are canvas text; the tooltip escapes them. */
// ---- board ------------------------------------------------------------------------------------------

/** Sends a stage change with the record's version. Resolves to the saved record; a 409 rejects. */
export async function moveStage(opp, stage, { lostReason } = {}) {
  const body = { stage_id: stage.id, version: opp.version };
  if (lostReason) body.lost_reason = lostReason;
  return api.put(`/api/v1/sales/opportunities/${seg(opp.id)}`, body);
}

export function askLostReason(opp) {
  return new Promise((resolve) => {
    let result = null;
    const { body, close } = openDialog({ title: t('opps.lost_title', { name: opp.name }), size: 'sm', onClose: () => resolve(result) });
    const f = createForm({ idPrefix: 'lost' });
    const reason = textInput({ maxlength: '200' });
    const ok = h('button', { type: 'submit', class: 'btn btn-danger', id: 'lost-save', text: t('opps.mark_lost') });
    const form = h('form', { class: 'form-stack', novalidate: true }, f.field('lost_reason', t('opps.fields.lost_reason'), reason, { required: true }),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), ok));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!reason.value.trim()) { f.showErrors({ lost_reason: t('required') }); return; }
      result = reason.value.trim();
      close();
    });
    body.appendChild(form);
    reason.focus();
  });
}

export const MOVE_CHIP = { forward: 'green', backward: 'amber', won: 'green', lost: 'red', created: 'info' };

