// Sales (module "sales"): leads (list, create, detail, status, convert), opportunities (list
// with a pipeline-by-account chart, a pipeline board by stage with drag and drop, create, detail
// with products, stage history and timeline), and the forecast (chart + table per owner / team /
// department for a month or quarter). API: /api/v1/sales/… served by the sales plugin.
// Stage moves send the record's version; a 409 (someone else changed it) reloads the record.

import { h, icon, replace, debounce } from '../dom.js';
import {
  t, has, localized, getLocale, formatCurrency, formatNumber, formatPercent, formatDate, formatDateTime, formatRelative, personName,
} from '../i18n.js';
import { api, seg } from '../api.js';
import { can, PERM, fieldDenied } from '../session.js';
import { updateQuery, navigate, href } from '../router.js';
import { pageHeader, dataTable, pager, loadingState, emptyState, errorState, toast, toastError, openDialog, chip } from '../ui.js';
import { focusHeading } from '../shell.js';
import { createForm, textInput, selectInput } from '../forms.js';
import { simpleChart, tipHead, tipRow, TOOLTIP } from '../charts/simple.js';

export const LEAD_STATUSES = ['new', 'working', 'qualified', 'disqualified', 'converted'];
const LEAD_SOURCES = ['web', 'referral', 'partner', 'event', 'cold_call', 'advertising', 'other'];
const SIZE_BANDS = ['1-10', '11-50', '51-200', '201-1000', '1000+'];
const STATUS_CHIP = { new: 'info', working: 'amber', qualified: 'green', disqualified: 'neutral', converted: 'green', open: 'info', won: 'green', lost: 'red' };
const CURRENCIES = ['CNY', 'USD', 'EUR', 'HKD', 'JPY', 'GBP', 'SGD'];

/** Translation of an enumerated value (status, source, …), else the value itself. */
function tr(key, value) {
  const k = `${key}.${value}`;
  return has(k) ? t(k) : String(value ?? '');
}
const money = (v, cur, compact = false) => (v === null || v === undefined ? '—' : formatCurrency(v, cur || 'CNY', { compact }));
const amountHidden = () => fieldDenied('sales.opportunity.amount');

function crumbs(...items) { return [{ label: t('sales.module'), href: '#/sales/opportunities' }, ...items]; }

/** A "not available" state when the sales API answers 404 for a collection. */
function unavailable(err, retry) {
  if (err && err.status === 404 && /nothing at/i.test(err.serverMessage || '')) {
    return h('div', { class: 'state state-unavailable', dataset: { unavailable: 'true' } },
      h('p', { class: 'state-title', text: t('sales.unavailable_title') }), h('p', { class: 'state-hint', text: t('sales.unavailable_hint') }));
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

function stageName(o) { return localized(o.stage_name) || `#${o.stage_id}`; }

// ---- leads list -------------------------------------------------------------------------------

export function renderLeadList({ main, query, signal }) {
  const state = {
    q: query.q || '',
    status: LEAD_STATUSES.includes(query.status) ? query.status : '',
    source: LEAD_SOURCES.includes(query.source) ? query.source : '',
    sort: ['score', 'company', 'created_at', 'updated_at', 'last_activity_at'].includes(query.sort) ? query.sort : 'created_at',
    order: query.order === 'asc' ? 'asc' : 'desc',
    offset: Math.max(0, Number(query.offset) || 0),
    limit: [25, 50, 100].includes(Number(query.limit)) ? Number(query.limit) : 50,
  };
  const actions = can(...PERM.leadWrite) ? [h('button', { type: 'button', class: 'btn btn-primary', id: 'lead-new', on: { click: () => leadDialog() } }, icon('plus'), t('sales.leads.new'))] : [];
  const search = h('input', { type: 'search', id: 'lead-search', value: state.q, placeholder: t('sales.leads.search_placeholder'), autocomplete: 'off' });
  const status = selectInput([{ value: '', label: t('sales.leads.any_status') }, ...LEAD_STATUSES.map((s) => ({ value: s, label: tr('sales.lead_status', s) }))], state.status, { id: 'lead-status-filter' });
  const source = selectInput([{ value: '', label: t('sales.leads.any_source') }, ...LEAD_SOURCES.map((s) => ({ value: s, label: tr('sales.sources', s) }))], state.source, { id: 'lead-source-filter' });
  const body = h('div', { id: 'lead-results' }, loadingState());
  main.append(
    pageHeader(t('sales.leads.title'), { subtitle: t('sales.leads.subtitle'), actions, crumbs: crumbs({ label: t('sales.leads.title') }) }),
    h('div', { class: 'toolbar', role: 'search' },
      h('label', { for: 'lead-search', class: 'sr-only', text: t('sales.leads.search') }),
      h('span', { class: 'search-box' }, icon('search'), search),
      h('label', { for: 'lead-status-filter', class: 'sr-only', text: t('sales.leads.fields.status') }), status,
      h('label', { for: 'lead-source-filter', class: 'sr-only', text: t('sales.leads.fields.source') }), source),
    h('section', { class: 'card', 'aria-label': t('sales.leads.title') }, body));

  let controller = null;
  const load = async () => {
    updateQuery({ q: state.q, status: state.status, source: state.source, sort: state.sort !== 'created_at' ? state.sort : '', order: state.order !== 'desc' ? state.order : '', offset: state.offset || '', limit: state.limit !== 50 ? state.limit : '' });
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    signal.addEventListener('abort', () => mine.abort(), { once: true });
    body.setAttribute('aria-busy', 'true');
    try {
      const data = await api.get('/api/v1/sales/leads', { signal: mine.signal, query: { q: state.q, status: state.status, source: state.source, sort: state.sort, order: state.order, limit: state.limit, offset: state.offset } });
      const items = (data && data.items) || [];
      const total = Number.isFinite(data && data.total) ? data.total : items.length;
      body.dataset.q = state.q;
      if (!items.length) { replace(body, emptyState(state.q ? t('sales.leads.no_match', { q: state.q }) : t('sales.leads.none'))); return; }
      replace(body, dataTable({
        caption: t('sales.leads.title'),
        columns: [
          { key: 'company', label: t('sales.leads.fields.company'), sortable: true, header: true, render: (l) => h('span', { class: 'stack' }, h('a', { href: `#/sales/leads/${seg(l.id)}`, text: l.company || '—' }), h('span', { class: 'muted small', text: [personName(l.first_name, l.last_name), l.title].filter(Boolean).join(' · ') })) },
          { key: 'status', label: t('sales.leads.fields.status'), render: (l) => chip(tr('sales.lead_status', l.status), STATUS_CHIP[l.status]) },
          { key: 'source', label: t('sales.leads.fields.source'), render: (l) => tr('sales.sources', l.source) },
          { key: 'score', label: t('sales.leads.fields.score'), sortable: true, align: 'end', render: (l) => scoreBar(l.score) },
          { key: 'owner', label: t('sales.fields.owner'), render: (l) => l.owner_name || '—' },
          { key: 'last_activity_at', label: t('sales.leads.fields.last_activity_at'), sortable: true, render: (l) => (l.last_activity_at ? h('time', { datetime: l.last_activity_at, title: formatDateTime(l.last_activity_at), text: formatRelative(l.last_activity_at) }) : '—') },
          { key: 'created_at', label: t('sales.fields.created_at'), sortable: true, render: (l) => formatDate(l.created_at) },
        ],
        rows: items,
        sort: { key: state.sort, order: state.order },
        onSort: (key, order) => { state.sort = key; state.order = order; state.offset = 0; load(); },
        onRowClick: (l) => navigate(`/sales/leads/${l.id}`),
      }), pager({ offset: state.offset, limit: state.limit, total, onChange: (o, l) => { state.offset = o; state.limit = l; load(); } }));
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, unavailable(err, load));
    } finally {
      if (controller === mine) body.setAttribute('aria-busy', 'false');
    }
  };
  const onSearch = debounce(() => { state.q = search.value.trim(); state.offset = 0; load(); }, 300);
  search.addEventListener('input', onSearch);
  status.addEventListener('change', () => { state.status = status.value; state.offset = 0; load(); });
  source.addEventListener('change', () => { state.source = source.value; state.offset = 0; load(); });
  load();
  return () => { onSearch.cancel(); if (controller) controller.abort(); };
}

function scoreBar(score) {
  const n = Math.max(0, Math.min(100, Number(score) || 0));
  const fill = h('span', { class: `score-fill ${n >= 70 ? 'hot' : n >= 40 ? 'warm' : 'cold'}` });
  fill.style.width = `${n}%`;
  return h('span', { class: 'score', title: t('sales.leads.score_of', { score: n }) }, h('span', { class: 'score-num num', text: formatNumber(n) }), h('span', { class: 'score-track', 'aria-hidden': 'true' }, fill));
}

function leadDialog() {
  const { body, close } = openDialog({ title: t('sales.leads.new'), size: 'md' });
  const f = createForm({ idPrefix: 'lead' });
  const i = {
    first_name: textInput({ maxlength: '100' }), last_name: textInput({ maxlength: '100' }), company: textInput({ maxlength: '200' }),
    title: textInput({ maxlength: '100' }), email: textInput({ type: 'email', maxlength: '254' }), phone: textInput({ type: 'tel', maxlength: '50' }),
    source: selectInput(LEAD_SOURCES.map((s) => ({ value: s, label: tr('sales.sources', s) })), 'web'),
    industry: textInput({ maxlength: '100' }),
    size_band: selectInput([{ value: '', label: t('accounts.size_band_none') }, ...SIZE_BANDS.map((b) => ({ value: b, label: t('accounts.size_band_value', { band: b }) }))], ''),
    region: textInput({ maxlength: '100' }), city: textInput({ maxlength: '100' }),
  };
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'lead-save', text: t('sales.leads.create') });
  const form = h('form', { class: 'form-stack', novalidate: true }, f.banner,
    h('div', { class: 'form-grid' },
      f.field('company', t('sales.leads.fields.company'), i.company, { required: true, wide: true }),
      f.field('first_name', t('sales.leads.fields.first_name'), i.first_name, { required: true }),
      f.field('last_name', t('sales.leads.fields.last_name'), i.last_name),
      f.field('title', t('sales.leads.fields.title'), i.title),
      f.field('source', t('sales.leads.fields.source'), i.source, { required: true }),
      f.field('email', t('sales.leads.fields.email'), i.email),
      f.field('phone', t('sales.leads.fields.phone'), i.phone),
      f.field('industry', t('sales.leads.fields.industry'), i.industry),
      f.field('size_band', t('sales.leads.fields.size_band'), i.size_band),
      f.field('region', t('sales.leads.fields.region'), i.region),
      f.field('city', t('sales.leads.fields.city'), i.city)),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    const payload = {};
    for (const [k, el] of Object.entries(i)) if (el.value.trim()) payload[k] = el.value.trim();
    const missing = {};
    if (!payload.company) missing.company = t('sales.required');
    if (!payload.first_name) missing.first_name = t('sales.required');
    if (Object.keys(missing).length) { f.showErrors(missing); return; }
    save.disabled = true;
    try {
      const lead = await api.post('/api/v1/sales/leads', payload);
      toast(t('sales.leads.created', { name: payload.company }), 'success');
      close();
      navigate(`/sales/leads/${lead.id}`);
    } catch (err) { save.disabled = false; f.fail(err); }
  });
  body.appendChild(form);
  i.company.focus();
}

// ---- lead detail ------------------------------------------------------------------------------

function definition(label, value) {
  return [h('dt', { text: label }), h('dd', null, value === null || value === undefined || value === '' ? '—' : value)];
}

export async function renderLeadDetail({ main, params, signal }) {
  main.appendChild(loadingState());
  let lead;
  try {
    lead = await api.get(`/api/v1/sales/leads/${seg(params.id)}`, { signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    replace(main, pageHeader(t('sales.leads.title'), { crumbs: crumbs({ label: t('sales.leads.title'), href: '#/sales/leads' }) }),
      err.status === 404 && !/nothing at/i.test(err.serverMessage || '') ? errorState({ message: t('sales.leads.not_found') }) : unavailable(err));
    return;
  }
  const name = personName(lead.first_name, lead.last_name);
  const canWrite = can(...PERM.leadWrite) && lead.status !== 'converted';
  const actions = [];
  if (canWrite) {
    const statusSel = selectInput(['new', 'working', 'qualified', 'disqualified'].map((s) => ({ value: s, label: tr('sales.lead_status', s) })), lead.status, { id: 'lead-status' });
    statusSel.addEventListener('change', async () => {
      statusSel.disabled = true;
      try {
        await api.put(`/api/v1/sales/leads/${seg(lead.id)}`, { status: statusSel.value, version: lead.version });
        toast(t('sales.leads.status_changed', { status: tr('sales.lead_status', statusSel.value) }), 'success');
      } catch (err) {
        toastError(err.status === 409 ? { message: t('sales.conflict_reloaded') } : err);
      }
      navigate(`/sales/leads/${lead.id}`, { r: Date.now() }, { replace: true });
    });
    actions.push(h('span', { class: 'inline-field' }, h('label', { for: 'lead-status', text: t('sales.leads.fields.status') }), statusSel));
    if (lead.status !== 'disqualified') actions.push(h('button', { type: 'button', class: 'btn btn-primary', id: 'lead-convert', on: { click: () => convertDialog(lead) } }, t('sales.leads.convert')));
  }
  const converted = lead.status === 'converted';
  replace(main,
    pageHeader(lead.company || name, {
      subtitle: [name, lead.title].filter(Boolean).join(' · '),
      crumbs: crumbs({ label: t('sales.leads.title'), href: '#/sales/leads' }, { label: lead.company || name }),
      actions,
    }),
    converted ? h('p', { class: 'notice', role: 'status' }, t('sales.leads.converted_notice'), ' ',
      lead.converted_account_id ? h('a', { href: `#/accounts/${seg(lead.converted_account_id)}`, text: t('sales.leads.open_account') }) : null,
      lead.converted_opportunity_id ? [' · ', h('a', { href: `#/sales/opportunities/${seg(lead.converted_opportunity_id)}`, text: t('sales.leads.open_opportunity') })] : null) : null,
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card span-2', 'aria-labelledby': 'lead-info-h' },
        h('h2', { id: 'lead-info-h', text: t('sales.leads.details') }),
        h('dl', { class: 'props props-2' },
          definition(t('sales.leads.fields.company'), lead.company),
          definition(t('sales.leads.fields.contact'), name),
          definition(t('sales.leads.fields.title'), lead.title),
          definition(t('sales.leads.fields.email'), lead.email ? h('a', { href: `mailto:${lead.email}`, text: lead.email }) : null),
          definition(t('sales.leads.fields.phone'), lead.phone),
          definition(t('sales.leads.fields.source'), tr('sales.sources', lead.source)),
          definition(t('sales.leads.fields.industry'), lead.industry),
          definition(t('sales.leads.fields.size_band'), lead.size_band ? t('accounts.size_band_value', { band: lead.size_band }) : null),
          definition(t('sales.leads.fields.region'), [lead.city, lead.region].filter(Boolean).join(', ')),
          definition(t('sales.fields.owner'), lead.owner_name),
          definition(t('sales.leads.fields.last_activity_at'), lead.last_activity_at ? formatDateTime(lead.last_activity_at) : null),
          definition(t('sales.fields.created_at'), formatDateTime(lead.created_at)))),
      h('section', { class: 'card', 'aria-labelledby': 'lead-score-h' },
        h('h2', { id: 'lead-score-h', text: t('sales.leads.fields.score') }),
        h('p', { class: 'big-number num', id: 'lead-score', text: formatNumber(lead.score ?? 0) }),
        scoreBar(lead.score),
        h('p', { class: 'muted small', text: t('sales.leads.score_hint') }),
        h('p', null, chip(tr('sales.lead_status', lead.status), STATUS_CHIP[lead.status])))));
}

function convertDialog(lead) {
  const { body, close } = openDialog({ title: t('sales.leads.convert_title', { name: lead.company }), size: 'md' });
  const f = createForm({ idPrefix: 'conv' });
  const want = h('input', { type: 'checkbox', id: 'conv-create-opp', checked: true });
  const oppName = textInput({ value: lead.company || '', maxlength: '200' });
  const amount = textInput({ type: 'number', min: '0', step: '0.01', inputmode: 'decimal', disabled: amountHidden() });
  const close90 = new Date(Date.now() + 90 * 86400000).toISOString().slice(0, 10);
  const closeDate = h('input', { type: 'date', value: close90 });
  const oppFields = h('div', { class: 'form-grid' },
    f.field('opportunity.name', t('sales.opps.fields.name'), oppName, { wide: true }),
    amountHidden() ? null : f.field('opportunity.amount', t('sales.opps.fields.amount'), amount),
    f.field('opportunity.expected_close_date', t('sales.opps.fields.expected_close_date'), closeDate));
  want.addEventListener('change', () => { oppFields.hidden = !want.checked; });
  const ok = h('button', { type: 'submit', class: 'btn btn-primary', id: 'conv-save', text: t('sales.leads.convert') });
  const form = h('form', { class: 'form-stack', novalidate: true },
    h('p', { class: 'muted', text: t('sales.leads.convert_explain') }),
    f.banner,
    h('label', { class: 'check', for: 'conv-create-opp' }, want, h('span', { text: t('sales.leads.create_opportunity') })),
    oppFields,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), ok));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    const payload = { version: lead.version, create_opportunity: want.checked };
    if (want.checked) {
      payload.opportunity = {};
      if (oppName.value.trim()) payload.opportunity.name = oppName.value.trim();
      if (amount.value !== '') payload.opportunity.amount = Number(amount.value);
      if (closeDate.value) payload.opportunity.expected_close_date = closeDate.value;
    }
    ok.disabled = true;
    try {
      const res = await api.post(`/api/v1/sales/leads/${seg(lead.id)}/convert`, payload);
      toast(t('sales.leads.converted', { name: lead.company }), 'success');
      close();
      if (res && res.opportunity_id) navigate(`/sales/opportunities/${res.opportunity_id}`);
      else if (res && res.account_id) navigate(`/accounts/${res.account_id}`);
      else navigate(`/sales/leads/${lead.id}`, { r: Date.now() });
    } catch (err) {
      ok.disabled = false;
      f.fail(err, { conflict: t('sales.conflict') });
    }
  });
  body.appendChild(form);
}

// ---- opportunities: list + chart, and board ----------------------------------------------------

export async function renderOpportunities({ main, query, signal }) {
  const view = query.view === 'board' ? 'board' : 'list';
  const state = {
    q: query.q || '',
    status: ['open', 'won', 'lost'].includes(query.status) ? query.status : (query.status === 'all' || view === 'board' ? '' : 'open'),
    pipeline_id: /^\d+$/.test(query.pipeline_id || '') ? Number(query.pipeline_id) : null,
    sort: ['name', 'amount', 'probability', 'expected_close_date', 'updated_at'].includes(query.sort) ? query.sort : 'expected_close_date',
    order: query.order === 'desc' ? 'desc' : 'asc',
    offset: Math.max(0, Number(query.offset) || 0),
    limit: [25, 50, 100].includes(Number(query.limit)) ? Number(query.limit) : 50,
  };
  const actions = [];
  const viewSwitch = h('div', { class: 'segmented', role: 'group', 'aria-label': t('sales.opps.view') },
    h('a', { href: href('/sales/opportunities', { view: 'list', q: state.q }), class: ['seg-btn', view === 'list' ? 'active' : ''], id: 'opp-view-list', 'aria-current': view === 'list' ? 'page' : null }, icon('list'), t('sales.opps.view_list')),
    h('a', { href: href('/sales/opportunities', { view: 'board', pipeline_id: state.pipeline_id }), class: ['seg-btn', view === 'board' ? 'active' : ''], id: 'opp-view-board', 'aria-current': view === 'board' ? 'page' : null }, icon('board'), t('sales.opps.view_board')));
  actions.push(viewSwitch);
  if (can(...PERM.opportunityWrite)) actions.push(h('button', { type: 'button', class: 'btn btn-primary', id: 'opp-new', on: { click: () => opportunityDialog(signal) } }, icon('plus'), t('sales.opps.new')));
  main.append(pageHeader(t('sales.opps.title'), { subtitle: view === 'board' ? t('sales.opps.board_subtitle') : t('sales.opps.subtitle'), actions, crumbs: crumbs({ label: t('sales.opps.title') }) }));

  let pipelines = [];
  try {
    pipelines = await loadPipelines(signal);
  } catch (err) {
    if (err.name === 'AbortError') return undefined;
    main.appendChild(unavailable(err));
    return undefined;
  }
  return view === 'board' ? opportunityBoard({ main, state, pipelines, signal }) : opportunityList({ main, state, pipelines, signal });
}

function opportunityList({ main, state, pipelines, signal }) {
  const search = h('input', { type: 'search', id: 'opp-search', value: state.q, placeholder: t('sales.opps.search_placeholder'), autocomplete: 'off' });
  const status = selectInput([{ value: '', label: t('sales.opps.any_status') }, ...['open', 'won', 'lost'].map((s) => ({ value: s, label: tr('sales.opp_status', s) }))], state.status, { id: 'opp-status-filter' });
  const pipe = selectInput([{ value: '', label: t('sales.opps.all_pipelines') }, ...pipelines.map((p) => ({ value: p.id, label: localized(p.name) }))], state.pipeline_id ?? '', { id: 'opp-pipeline-filter' });
  const chart = simpleChart({ label: t('sales.opps.by_account'), height: 280, id: 'opp-account-chart' });
  const chartCard = h('section', { class: 'card chart-card', 'aria-labelledby': 'opp-chart-h', hidden: true },
    h('h2', { id: 'opp-chart-h', text: t('sales.opps.by_account') }), chart.el);
  const summary = h('div', { class: 'summary-row', id: 'opp-summary', 'aria-live': 'polite' });
  const body = h('div', { id: 'opp-results' }, loadingState());
  main.append(
    h('div', { class: 'toolbar', role: 'search' },
      h('label', { for: 'opp-search', class: 'sr-only', text: t('sales.opps.search') }),
      h('span', { class: 'search-box' }, icon('search'), search),
      h('label', { for: 'opp-status-filter', class: 'sr-only', text: t('sales.opps.fields.status') }), status,
      h('label', { for: 'opp-pipeline-filter', class: 'sr-only', text: t('sales.opps.fields.pipeline') }), pipe),
    summary,
    amountHidden() ? null : chartCard,
    h('section', { class: 'card', 'aria-label': t('sales.opps.title') }, body));

  let controller = null;
  const load = async () => {
    updateQuery({ q: state.q, status: state.status !== 'open' ? state.status || 'all' : '', pipeline_id: state.pipeline_id, sort: state.sort !== 'expected_close_date' ? state.sort : '', order: state.order !== 'asc' ? state.order : '', offset: state.offset || '', limit: state.limit !== 50 ? state.limit : '' });
    if (controller) controller.abort();
    const mine = new AbortController();
    controller = mine;
    signal.addEventListener('abort', () => mine.abort(), { once: true });
    body.setAttribute('aria-busy', 'true');
    const q = { q: state.q, status: state.status, pipeline_id: state.pipeline_id, sort: state.sort, order: state.order, limit: state.limit, offset: state.offset };
    try {
      const [data, top] = await Promise.all([
        api.get('/api/v1/sales/opportunities', { signal: mine.signal, query: q }),
        amountHidden() ? null : api.get('/api/v1/sales/opportunities', { signal: mine.signal, query: { q: state.q, status: state.status, pipeline_id: state.pipeline_id, sort: 'amount', order: 'desc', limit: 200 } }),
      ]);
      const items = (data && data.items) || [];
      const total = Number.isFinite(data && data.total) ? data.total : items.length;
      body.dataset.q = state.q;
      // The chart card shows only when there is something to compare.
      if (top) {
        const list = top.items || [];
        chartCard.hidden = !list.some((o) => Number(o.amount) > 0);
        if (!chartCard.hidden) drawAccountChart(chart, list);
      }
      if (top) {
        const all = top.items || [];
        const sum = all.reduce((s, o) => s + (Number(o.amount) || 0), 0);
        const weighted = all.reduce((s, o) => s + (Number(o.weighted_amount) || 0), 0);
        replace(summary,
          tile(formatNumber(total), t('sales.opps.count'), 'neutral', 'opp-total-count'),
          tile(money(sum, 'CNY', true), t('sales.opps.total_amount'), 'green', 'opp-total-amount', money(sum, 'CNY')),
          tile(money(weighted, 'CNY', true), t('sales.opps.weighted_amount'), 'info', 'opp-weighted-amount', money(weighted, 'CNY')));
      }
      if (!items.length) { replace(body, emptyState(state.q ? t('sales.opps.no_match', { q: state.q }) : t('sales.opps.none'))); return; }
      replace(body, dataTable({
        caption: t('sales.opps.title'),
        columns: [
          { key: 'name', label: t('sales.opps.fields.name'), sortable: true, header: true, render: (o) => h('a', { href: `#/sales/opportunities/${seg(o.id)}`, text: o.name || '—' }) },
          { key: 'account', label: t('sales.opps.fields.account'), render: (o) => (o.account_id ? h('a', { href: `#/accounts/${seg(o.account_id)}`, class: 'account-link', text: o.account_name ?? `#${o.account_id}` }) : '—') },
          { key: 'stage', label: t('sales.opps.fields.stage'), render: (o) => h('span', { class: 'stack' }, chip(stageName(o), STATUS_CHIP[o.status] || 'neutral'), h('span', { class: 'muted small', text: formatPercent((o.probability ?? 0) / 100) })) },
          amountHidden() ? null : { key: 'amount', label: t('sales.opps.fields.amount'), sortable: true, align: 'end', render: (o) => h('span', { class: 'num', text: money(o.amount, o.currency) }) },
          amountHidden() ? null : { key: 'weighted_amount', label: t('sales.opps.fields.weighted_amount'), align: 'end', render: (o) => h('span', { class: 'num muted', text: money(o.weighted_amount, o.currency) }) },
          { key: 'expected_close_date', label: t('sales.opps.fields.expected_close_date'), sortable: true, render: (o) => closeDateCell(o) },
          { key: 'owner', label: t('sales.fields.owner'), render: (o) => o.owner_name || '—' },
        ],
        rows: items,
        sort: { key: state.sort, order: state.order },
        onSort: (key, order) => { state.sort = key; state.order = order; state.offset = 0; load(); },
        onRowClick: (o) => navigate(`/sales/opportunities/${o.id}`),
      }), pager({ offset: state.offset, limit: state.limit, total, onChange: (o, l) => { state.offset = o; state.limit = l; load(); } }));
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, unavailable(err, load));
    } finally {
      if (controller === mine) body.setAttribute('aria-busy', 'false');
    }
  };
  const onSearch = debounce(() => { state.q = search.value.trim(); state.offset = 0; load(); }, 300);
  search.addEventListener('input', onSearch);
  status.addEventListener('change', () => { state.status = status.value; state.offset = 0; load(); });
  pipe.addEventListener('change', () => { state.pipeline_id = pipe.value ? Number(pipe.value) : null; state.offset = 0; load(); });
  load();
  return () => { onSearch.cancel(); if (controller) controller.abort(); chart.dispose(); };
}

function tile(value, label, kind, id, title) {
  return h('div', { class: `summary-tile tile-${kind}`, id, title },
    h('span', { class: 'summary-value num', text: value }), h('span', { class: 'summary-label', text: label }));
}

function closeDateCell(o) {
  if (!o.expected_close_date) return '—';
  const overdue = o.status === 'open' && o.expected_close_date < new Date().toISOString().slice(0, 10);
  return h('span', { class: overdue ? 'overdue' : '' }, formatDate(o.expected_close_date), overdue ? h('span', { class: 'sr-only', text: ` (${t('sales.opps.overdue')})` }) : null);
}

/** Horizontal bars: the 10 accounts with the most amount. Names are canvas text; the tooltip escapes them. */
function drawAccountChart(chart, items) {
  const byAccount = new Map();
  for (const o of items) {
    const key = o.account_id;
    const cur = byAccount.get(key) || { name: o.account_name ?? `#${o.account_id}`, id: key, amount: 0, weighted: 0, count: 0 };
    cur.amount += Number(o.amount) || 0;
    cur.weighted += Number(o.weighted_amount) || 0;
    cur.count += 1;
    byAccount.set(key, cur);
  }
  const top = [...byAccount.values()].sort((a, b) => b.amount - a.amount).slice(0, 10);
  if (!top.length) return false;
  const names = top.map((a) => String(a.name));
  chart.set({
    color: ['#2f6fed', '#14a38b'],
    legend: { top: 0, data: [t('sales.opps.fields.amount'), t('sales.opps.fields.weighted_amount')] },
    grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: 'value', axisLabel: { formatter: (v) => money(v, 'CNY', true) } },
    yAxis: { type: 'category', data: names, inverse: true, axisLabel: { width: 160, overflow: 'truncate' } },
    tooltip: {
      ...TOOLTIP, trigger: 'axis', axisPointer: { type: 'shadow' },
      formatter: (params) => {
        const list = Array.isArray(params) ? params : [params];
        if (!list.length) return '';
        const a = top[list[0].dataIndex];
        return tipHead(a.name) + list.map((p) => tipRow(p.seriesIndex, p.seriesName, money(p.value, 'CNY'))).join('')
          + tipRow(null, t('sales.opps.count'), formatNumber(a.count));
      },
    },
    series: [
      { name: t('sales.opps.fields.amount'), type: 'bar', data: top.map((a) => a.amount), barMaxWidth: 18, itemStyle: { borderRadius: [0, 3, 3, 0] } },
      { name: t('sales.opps.fields.weighted_amount'), type: 'bar', data: top.map((a) => a.weighted), barMaxWidth: 18, itemStyle: { borderRadius: [0, 3, 3, 0] } },
    ],
  }, (params) => { const a = top[params.dataIndex]; if (a && a.id) navigate(`/accounts/${a.id}`); });
  return true;
}

// ---- board ------------------------------------------------------------------------------------------

/** Sends a stage change with the record's version. Resolves to the saved record; a 409 rejects. */
async function moveStage(opp, stage, { lostReason } = {}) {
  const body = { stage_id: stage.id, version: opp.version };
  if (lostReason) body.lost_reason = lostReason;
  return api.put(`/api/v1/sales/opportunities/${seg(opp.id)}`, body);
}

function askLostReason(opp) {
  return new Promise((resolve) => {
    let result = null;
    const { body, close } = openDialog({ title: t('sales.opps.lost_title', { name: opp.name }), size: 'sm', onClose: () => resolve(result) });
    const f = createForm({ idPrefix: 'lost' });
    const reason = textInput({ maxlength: '200' });
    const ok = h('button', { type: 'submit', class: 'btn btn-danger', id: 'lost-save', text: t('sales.opps.mark_lost') });
    const form = h('form', { class: 'form-stack', novalidate: true }, f.field('lost_reason', t('sales.opps.fields.lost_reason'), reason, { required: true }),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), ok));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!reason.value.trim()) { f.showErrors({ lost_reason: t('sales.required') }); return; }
      result = reason.value.trim();
      close();
    });
    body.appendChild(form);
    reason.focus();
  });
}

function opportunityBoard({ main, state, pipelines, signal }) {
  const pipeline = pipelines.find((p) => p.id === state.pipeline_id) || pipelines.find((p) => p.is_default) || pipelines[0];
  if (!pipeline) { main.appendChild(emptyState(t('sales.opps.no_pipelines'))); return undefined; }
  const pipe = selectInput(pipelines.map((p) => ({ value: p.id, label: localized(p.name) })), pipeline.id, { id: 'board-pipeline' });
  pipe.addEventListener('change', () => navigate('/sales/opportunities', { view: 'board', pipeline_id: pipe.value }));
  const live = h('p', { class: 'sr-only', 'aria-live': 'assertive', id: 'board-live' });
  const board = h('div', { class: 'board', id: 'pipeline-board', dataset: { pipeline: String(pipeline.id) } }, loadingState());
  main.append(
    h('div', { class: 'toolbar' }, h('label', { for: 'board-pipeline', text: t('sales.opps.fields.pipeline') }), pipe,
      h('span', { class: 'muted small', text: t('sales.opps.board_hint') })),
    live, board);

  const canWrite = can(...PERM.opportunityWrite);
  let opps = [];
  let totals = {};
  let dragging = null;
  const CLOSED_SHOWN = 20;

  // Every open deal of the pipeline, and only the most recently closed won / lost ones.
  const load = async () => {
    try {
      const base = { pipeline_id: pipeline.id };
      const [open, won, lost] = await Promise.all([
        api.get('/api/v1/sales/opportunities', { signal, query: { ...base, status: 'open', limit: 200, sort: 'expected_close_date', order: 'asc' } }),
        api.get('/api/v1/sales/opportunities', { signal, query: { ...base, status: 'won', limit: CLOSED_SHOWN, sort: 'closed_at', order: 'desc' } }),
        api.get('/api/v1/sales/opportunities', { signal, query: { ...base, status: 'lost', limit: CLOSED_SHOWN, sort: 'closed_at', order: 'desc' } }),
      ]);
      opps = [open, won, lost].flatMap((d) => (d && d.items) || []);
      totals = { open: open && open.total, won: won && won.total, lost: lost && lost.total };
      draw();
    } catch (err) {
      if (err.name !== 'AbortError') replace(board, unavailable(err, load));
    }
  };

  const apply = async (opp, stage) => {
    if (!stage || opp.stage_id === stage.id) return;
    let lostReason = null;
    if (stage.outcome === 'lost') {
      lostReason = await askLostReason(opp);
      if (!lostReason) return;
    }
    const before = { ...opp };
    // Optimistic: move the card now, undo on failure.
    Object.assign(opp, { stage_id: stage.id, stage_name: stage.name, status: stage.outcome === 'open' ? 'open' : stage.outcome });
    draw();
    try {
      const saved = await moveStage(before, stage, { lostReason });
      Object.assign(opp, saved || {});
      live.textContent = t('sales.opps.moved', { name: opp.name, stage: localized(stage.name) });
      toast(live.textContent, 'success', { timeout: 3000 });
      draw();
    } catch (err) {
      Object.assign(opp, before);
      if (err.status === 409) {
        toast(t('sales.opps.conflict_board', { name: opp.name }), 'error', { timeout: 9000 });
        live.textContent = t('sales.opps.conflict_board', { name: opp.name });
        await load();
      } else {
        toastError(err);
        draw();
      }
    }
  };

  function card(o) {
    const move = canWrite ? h('select', { class: 'card-move', 'aria-label': t('sales.opps.move_to', { name: o.name }), dataset: { id: String(o.id) } },
      pipeline.stages.map((s) => h('option', { value: String(s.id), selected: s.id === o.stage_id, text: localized(s.name) }))) : null;
    if (move) move.addEventListener('change', () => apply(o, pipeline.stages.find((s) => String(s.id) === move.value)));
    const el = h('li', { class: ['opp-card', `opp-${o.status}`], draggable: canWrite ? 'true' : null, dataset: { id: String(o.id), stage: String(o.stage_id), version: String(o.version) } },
      h('a', { href: `#/sales/opportunities/${seg(o.id)}`, class: 'opp-card-name', text: o.name || '—' }),
      h('span', { class: 'opp-card-account muted small', text: o.account_name ?? '' }),
      h('span', { class: 'opp-card-meta' },
        amountHidden() ? null : h('strong', { class: 'num', text: money(o.amount, o.currency) }),
        h('span', { class: 'muted small' }, closeDateCell(o))),
      h('span', { class: 'opp-card-foot' }, h('span', { class: 'muted small', text: o.owner_name || '' }), move));
    if (canWrite) {
      el.addEventListener('dragstart', (ev) => {
        dragging = o;
        el.classList.add('dragging');
        ev.dataTransfer.effectAllowed = 'move';
        ev.dataTransfer.setData('text/plain', String(o.id));
      });
      el.addEventListener('dragend', () => { el.classList.remove('dragging'); dragging = null; });
    }
    return el;
  }

  function draw() {
    const cols = pipeline.stages.map((s) => {
      const list = opps.filter((o) => o.stage_id === s.id);
      const sum = list.reduce((acc, o) => acc + (Number(o.amount) || 0), 0);
      const closedTotal = s.outcome !== 'open' ? totals[s.outcome] : null;
      const more = closedTotal && closedTotal > list.length
        ? h('p', { class: 'muted small board-more' }, t('sales.opps.latest_closed', { shown: list.length, total: closedTotal }), ' ',
          h('a', { href: href('/sales/opportunities', { status: s.outcome, pipeline_id: pipeline.id, sort: 'updated_at', order: 'desc' }), text: t('sales.opps.see_all') }))
        : null;
      const ul = h('ul', { class: 'board-cards', 'aria-label': localized(s.name) }, list.map(card));
      const col = h('section', { class: ['board-col', `outcome-${s.outcome}`], dataset: { stage: String(s.id), outcome: s.outcome }, 'aria-labelledby': `stage-h-${s.id}` },
        h('header', { class: 'board-col-head' },
          h('h2', { id: `stage-h-${s.id}`, text: localized(s.name) }),
          h('span', { class: 'muted small', text: `${formatPercent(s.probability / 100)} · ${t('sales.opps.n_deals', { count: list.length })}` }),
          amountHidden() ? null : h('strong', { class: 'num board-col-sum', title: s.outcome !== 'open' ? t('sales.opps.sum_shown') : null, text: money(sum, 'CNY', true) })),
        list.length ? ul : h('div', { class: 'board-empty', text: t('sales.opps.drop_here') }), more);
      if (canWrite) {
        col.addEventListener('dragover', (ev) => { if (dragging) { ev.preventDefault(); ev.dataTransfer.dropEffect = 'move'; col.classList.add('drop-target'); } });
        col.addEventListener('dragleave', (ev) => { if (!col.contains(ev.relatedTarget)) col.classList.remove('drop-target'); });
        col.addEventListener('drop', (ev) => {
          ev.preventDefault();
          col.classList.remove('drop-target');
          const id = Number(ev.dataTransfer.getData('text/plain')) || (dragging && dragging.id);
          const o = opps.find((x) => x.id === id);
          if (o) apply(o, s);
        });
      }
      return col;
    });
    replace(board, cols);
  }

  load();
  return undefined;
}

// ---- create opportunity ------------------------------------------------------------------------------

export async function opportunityDialog(signal, { accountId = null, accountName = '' } = {}) {
  const { body, close } = openDialog({ title: t('sales.opps.new'), size: 'md' });
  body.appendChild(loadingState());
  let pipelines = [];
  let accounts = [];
  try {
    [pipelines, accounts] = await Promise.all([
      loadPipelines(signal),
      api.get('/api/v1/accounts', { signal, query: { limit: 100, sort: 'name', order: 'asc' } }).then((d) => (d && d.items) || []),
    ]);
  } catch (err) {
    replace(body, unavailable(err));
    return;
  }
  const f = createForm({ idPrefix: 'opp' });
  const name = textInput({ maxlength: '200' });
  const account = h('select', null, h('option', { value: '', text: t('sales.opps.choose_account') }),
    accounts.map((a) => h('option', { value: String(a.id), selected: a.id === accountId, text: a.name || `#${a.id}` })));
  if (accountId && !accounts.some((a) => a.id === accountId)) account.appendChild(h('option', { value: String(accountId), selected: true, text: accountName || `#${accountId}` }));
  const def = pipelines.find((p) => p.is_default) || pipelines[0];
  const pipe = selectInput(pipelines.map((p) => ({ value: p.id, label: localized(p.name) })), def ? def.id : '');
  const stage = h('select');
  const fillStages = () => {
    const p = pipelines.find((x) => String(x.id) === pipe.value);
    replace(stage, (p ? p.stages : []).filter((s) => s.outcome === 'open').map((s) => h('option', { value: String(s.id), text: `${localized(s.name)} (${formatPercent(s.probability / 100)})` })));
  };
  fillStages();
  pipe.addEventListener('change', fillStages);
  const amount = textInput({ type: 'number', min: '0', step: '0.01', inputmode: 'decimal' });
  const currency = selectInput(CURRENCIES.map((c) => ({ value: c, label: c })), 'CNY');
  const closeDate = h('input', { type: 'date', value: new Date(Date.now() + 60 * 86400000).toISOString().slice(0, 10) });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'opp-save', text: t('sales.opps.create') });
  const form = h('form', { class: 'form-stack', novalidate: true }, f.banner,
    h('div', { class: 'form-grid' },
      f.field('name', t('sales.opps.fields.name'), name, { required: true, wide: true }),
      f.field('account_id', t('sales.opps.fields.account'), account, { required: true, wide: true }),
      f.field('pipeline_id', t('sales.opps.fields.pipeline'), pipe),
      f.field('stage_id', t('sales.opps.fields.stage'), stage),
      amountHidden() ? null : f.field('amount', t('sales.opps.fields.amount'), amount, { required: true }),
      f.field('currency', t('sales.opps.fields.currency'), currency),
      f.field('expected_close_date', t('sales.opps.fields.expected_close_date'), closeDate, { required: true })),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    const payload = {
      name: name.value.trim(), account_id: account.value ? Number(account.value) : null, pipeline_id: Number(pipe.value), stage_id: Number(stage.value),
      currency: currency.value, expected_close_date: closeDate.value,
    };
    if (!amountHidden() && amount.value !== '') payload.amount = Number(amount.value);
    const missing = {};
    if (!payload.name) missing.name = t('sales.required');
    if (!payload.account_id) missing.account_id = t('sales.required');
    if (!amountHidden() && amount.value === '') missing.amount = t('sales.required');
    if (!payload.expected_close_date) missing.expected_close_date = t('sales.required');
    if (Object.keys(missing).length) { f.showErrors(missing); return; }
    save.disabled = true;
    try {
      const o = await api.post('/api/v1/sales/opportunities', payload);
      toast(t('sales.opps.created', { name: payload.name }), 'success');
      close();
      navigate(`/sales/opportunities/${o.id}`);
    } catch (err) { save.disabled = false; f.fail(err); }
  });
  replace(body, form);
  name.focus();
}

// ---- opportunity detail -----------------------------------------------------------------------

const MOVE_CHIP = { forward: 'green', backward: 'amber', won: 'green', lost: 'red', created: 'info' };

export async function renderOpportunityDetail({ main, params, signal }) {
  main.appendChild(loadingState());
  let o;
  let pipelines = [];
  try {
    [o, pipelines] = await Promise.all([api.get(`/api/v1/sales/opportunities/${seg(params.id)}`, { signal }), loadPipelines(signal).catch(() => [])]);
  } catch (err) {
    if (err.name === 'AbortError') return;
    replace(main, pageHeader(t('sales.opps.title'), { crumbs: crumbs({ label: t('sales.opps.title'), href: '#/sales/opportunities' }) }),
      err.status === 404 && !/nothing at/i.test(err.serverMessage || '') ? errorState({ message: t('sales.opps.not_found') }) : unavailable(err));
    return;
  }
  const pipeline = pipelines.find((p) => p.id === o.pipeline_id);
  const actions = [];
  if (can(...PERM.opportunityWrite) && pipeline) {
    const sel = selectInput(pipeline.stages.map((s) => ({ value: s.id, label: localized(s.name) })), o.stage_id, { id: 'opp-stage' });
    sel.addEventListener('change', async () => {
      const stage = pipeline.stages.find((s) => String(s.id) === sel.value);
      let lostReason = null;
      if (stage.outcome === 'lost') {
        lostReason = await askLostReason(o);
        if (!lostReason) { sel.value = String(o.stage_id); return; }
      }
      sel.disabled = true;
      try {
        await moveStage(o, stage, { lostReason });
        toast(t('sales.opps.moved', { name: o.name, stage: localized(stage.name) }), 'success');
      } catch (err) {
        toastError(err.status === 409 ? { message: t('sales.conflict_reloaded') } : err);
      }
      navigate(`/sales/opportunities/${o.id}`, { r: Date.now() }, { replace: true });
    });
    actions.push(h('span', { class: 'inline-field' }, h('label', { for: 'opp-stage', text: t('sales.opps.fields.stage') }), sel));
  }
  const timelineHost = h('div', null, loadingState());
  const stagePath = pipeline ? h('ol', { class: 'stage-path', 'aria-label': t('sales.opps.fields.stage') }, pipeline.stages.filter((s) => s.outcome === 'open' || s.id === o.stage_id).map((s) => {
    const cur = pipeline.stages.find((x) => x.id === o.stage_id);
    const done = cur && s.position < cur.position && cur.outcome !== 'lost';
    return h('li', { class: ['stage-step', s.id === o.stage_id ? 'current' : '', done ? 'done' : '', `outcome-${s.outcome}`], 'aria-current': s.id === o.stage_id ? 'step' : null, text: localized(s.name) });
  })) : null;
  replace(main,
    pageHeader(o.name, {
      subtitle: [o.account_name, o.owner_name].filter(Boolean).join(' · '),
      crumbs: crumbs({ label: t('sales.opps.title'), href: '#/sales/opportunities' }, { label: o.name }),
      actions,
    }),
    stagePath,
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card span-2', 'aria-labelledby': 'opp-info-h' },
        h('h2', { id: 'opp-info-h', text: t('sales.opps.details') }),
        h('dl', { class: 'props props-2' },
          definition(t('sales.opps.fields.account'), o.account_id ? h('a', { href: `#/accounts/${seg(o.account_id)}`, id: 'opp-account-link', text: o.account_name ?? `#${o.account_id}` }) : null),
          definition(t('sales.opps.fields.stage'), chip(stageName(o), STATUS_CHIP[o.status] || 'neutral')),
          definition(t('sales.opps.fields.pipeline'), pipeline ? localized(pipeline.name) : null),
          definition(t('sales.opps.fields.status'), tr('sales.opp_status', o.status)),
          'amount' in o ? definition(t('sales.opps.fields.amount'), h('span', { class: 'num', id: 'opp-amount', text: money(o.amount, o.currency) })) : null,
          'weighted_amount' in o ? definition(t('sales.opps.fields.weighted_amount'), money(o.weighted_amount, o.currency)) : null,
          definition(t('sales.opps.fields.probability'), formatPercent((o.probability ?? 0) / 100)),
          definition(t('sales.opps.fields.forecast_category'), tr('sales.categories', o.forecast_category)),
          definition(t('sales.opps.fields.expected_close_date'), closeDateCell(o)),
          o.closed_at ? definition(t('sales.opps.fields.closed_at'), formatDate(o.closed_at)) : null,
          o.lost_reason ? definition(t('sales.opps.fields.lost_reason'), o.lost_reason) : null,
          definition(t('sales.fields.owner'), o.owner_name),
          definition(t('sales.fields.created_at'), formatDateTime(o.created_at)),
          definition(t('sales.fields.updated_at'), formatDateTime(o.updated_at)))),
      h('section', { class: 'card', 'aria-labelledby': 'opp-products-h' },
        h('h2', { id: 'opp-products-h', text: t('sales.opps.products') }),
        (o.products || []).length ? dataTable({
          caption: t('sales.opps.products'),
          columns: [
            { key: 'name', label: t('sales.opps.product'), header: true, render: (p) => h('span', { class: 'stack' }, h('span', { text: localized(p.name) }), h('code', { class: 'muted small', text: p.code || '' })) },
            { key: 'quantity', label: t('sales.opps.quantity'), align: 'end', render: (p) => formatNumber(p.quantity) },
            'unit_price' in ((o.products || [])[0] || {}) ? { key: 'unit_price', label: t('sales.opps.unit_price'), align: 'end', render: (p) => money(p.unit_price, o.currency) } : null,
            { key: 'discount', label: t('sales.opps.discount'), align: 'end', render: (p) => formatPercent((p.discount || 0) / 100) },
          ],
          rows: o.products,
        }) : h('p', { class: 'muted', text: t('sales.opps.no_products') })),
      h('section', { class: 'card span-3', 'aria-labelledby': 'opp-timeline-h' },
        h('h2', { id: 'opp-timeline-h' }, icon('timeline'), t('sales.opps.timeline')), timelineHost)));
  focusHeading(main);

  // Timeline: the stage history plus this opportunity's entries on the account timeline.
  // Stage names in the active language from the pipeline (the history carries English names).
  const stageLabel = (id, fallback) => {
    const st = pipelines.flatMap((p) => p.stages || []).find((x) => x.id === id);
    return st ? localized(st.name) : fallback;
  };
  const events = (o.stage_history || []).map((s) => ({
    kind: s.from_stage_id ? s.movement || 'forward' : 'created',
    at: s.changed_at,
    title: s.from_stage_id
      ? t('sales.opps.history_move', { from: stageLabel(s.from_stage_id, s.from), to: stageLabel(s.to_stage_id, s.to) })
      : t('sales.opps.history_start', { to: stageLabel(s.to_stage_id, s.to) }),
    actor: s.changed_by_name,
  }));
  let entries = [];
  if (o.account_id && can(...PERM.accountRead)) {
    try {
      const data = await api.get(`/api/v1/accounts/${seg(o.account_id)}/timeline`, { signal, query: { limit: 100 } });
      entries = ((data && data.items) || []).filter((e) => e.entity_type === 'sales.opportunity' && String(e.entity_id) === String(o.id) && e.kind !== 'created');
    } catch (err) { if (err.name === 'AbortError') return; }
  }
  for (const e of entries) events.push({ kind: e.kind, at: e.occurred_at, title: e.title, body: e.body, actor: e.actor_name });
  events.sort((a, b) => String(b.at).localeCompare(String(a.at)));
  replace(timelineHost, events.length ? h('ol', { class: 'timeline', id: 'opp-timeline' }, events.map((e) => h('li', { class: 'timeline-item' },
    h('div', { class: 'timeline-marker', 'aria-hidden': 'true' }),
    h('div', { class: 'timeline-content' },
      h('div', { class: 'timeline-head' },
        chip(tr('sales.movements', e.kind), MOVE_CHIP[e.kind] || 'neutral'),
        h('strong', { class: 'timeline-title', text: e.title || '' }),
        h('time', { datetime: e.at || '', title: formatDateTime(e.at), class: 'muted', text: formatRelative(e.at) })),
      e.body && typeof e.body === 'object' ? h('dl', { class: 'timeline-fields' }, Object.entries(e.body).map(([k, v]) => [
        h('dt', { text: tr('sales.opps.fields', k) }), h('dd', { text: v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v) })])) : null,
      e.actor ? h('p', { class: 'muted small', text: t('timeline.actor', { name: e.actor }) }) : null)))) : emptyState(t('timeline.none')));
}

// ---- forecast -----------------------------------------------------------------------------------------

function periodStart(type, date) {
  const d = new Date(date);
  const m = type === 'quarter' ? Math.floor(d.getMonth() / 3) * 3 : d.getMonth();
  return `${d.getFullYear()}-${String(m + 1).padStart(2, '0')}-01`;
}
function shiftPeriod(type, start, n) {
  const [y, m] = start.split('-').map(Number);
  const d = new Date(y, m - 1 + n * (type === 'quarter' ? 3 : 1), 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-01`;
}
function periodLabel(type, start) {
  const [y, m] = start.split('-').map(Number);
  if (type === 'quarter') return t('period.quarter_label', { year: String(y), quarter: String(Math.floor((m - 1) / 3) + 1) });
  return new Intl.DateTimeFormat(getLocale(), { year: 'numeric', month: 'long' }).format(new Date(y, m - 1, 1));
}

export async function renderForecast({ main, query, signal }) {
  const type = query.period_type === 'month' ? 'month' : 'quarter';
  const start = /^\d{4}-\d{2}-01$/.test(query.period_start || '') ? periodStart(type, `${query.period_start}T00:00:00`) : periodStart(type, Date.now());
  const group = ['owner', 'team', 'department'].includes(query.group) ? query.group : 'owner';
  const go = (q) => navigate('/sales/forecast', { period_type: type, period_start: start, group, ...q });
  const typeSel = selectInput(['month', 'quarter'].map((v) => ({ value: v, label: t(`sales.forecast.period_${v}`) })), type, { id: 'fc-period-type' });
  const groupSel = selectInput(['owner', 'team', 'department'].map((v) => ({ value: v, label: t(`sales.forecast.group_${v}`) })), group, { id: 'fc-group' });
  typeSel.addEventListener('change', () => go({ period_type: typeSel.value, period_start: periodStart(typeSel.value, `${start}T00:00:00`) }));
  groupSel.addEventListener('change', () => go({ group: groupSel.value }));
  const prev = h('button', { type: 'button', class: 'btn btn-icon', id: 'fc-prev', 'aria-label': t('sales.forecast.previous') }, icon('chevronLeft'));
  const next = h('button', { type: 'button', class: 'btn btn-icon', id: 'fc-next', 'aria-label': t('sales.forecast.next') }, icon('chevronRight'));
  prev.addEventListener('click', () => go({ period_start: shiftPeriod(type, start, -1) }));
  next.addEventListener('click', () => go({ period_start: shiftPeriod(type, start, 1) }));
  const chart = simpleChart({ label: t('sales.forecast.chart_label'), height: 340, id: 'forecast-chart' });
  const tiles = h('div', { class: 'summary-row', id: 'fc-tiles' });
  const tableHost = h('div', { id: 'fc-table' }, loadingState());
  main.append(
    pageHeader(t('sales.forecast.title'), { subtitle: t('sales.forecast.subtitle'), crumbs: crumbs({ label: t('sales.forecast.title') }) }),
    h('div', { class: 'toolbar' },
      h('span', { class: 'period-nav' }, prev, h('strong', { class: 'period-label', id: 'fc-period', text: periodLabel(type, start) }), next),
      h('label', { for: 'fc-period-type', class: 'sr-only', text: t('sales.forecast.period') }), typeSel,
      h('label', { for: 'fc-group', text: t('sales.forecast.group_by') }), groupSel),
    tiles,
    h('section', { class: 'card chart-card', 'aria-labelledby': 'fc-chart-h' }, h('h2', { id: 'fc-chart-h', text: t('sales.forecast.chart_label') }), chart.el),
    h('section', { class: 'card', 'aria-label': t('sales.forecast.table') }, tableHost));

  try {
    const data = await api.get('/api/v1/sales/forecast', { signal, query: { period_type: type, period_start: start, group } });
    const items = (data && data.items) || [];
    const total = (data && data.total) || {};
    const label = (it) => (it.label === null || it.label === undefined ? t('sales.forecast.unassigned') : localized(it.label));
    const att = (v) => (v === null || v === undefined ? '—' : formatPercent(Number(v) / 100));
    replace(tiles,
      tile(money(total.closed_won, 'CNY', true), t('sales.forecast.closed_won'), 'green', 'fc-closed-won', money(total.closed_won, 'CNY')),
      tile(money(total.commit, 'CNY', true), t('sales.forecast.commit'), 'info', 'fc-commit', money(total.commit, 'CNY')),
      tile(money(total.best_case, 'CNY', true), t('sales.forecast.best_case'), 'neutral', 'fc-best-case', money(total.best_case, 'CNY')),
      tile(money(total.weighted_pipeline, 'CNY', true), t('sales.forecast.weighted'), 'neutral', 'fc-weighted', money(total.weighted_pipeline, 'CNY')),
      tile(money(total.quota, 'CNY', true), t('sales.forecast.quota'), 'neutral', 'fc-quota', money(total.quota, 'CNY')),
      tile(att(total.attainment), t('sales.forecast.attainment'), Number(total.attainment) >= 100 ? 'green' : 'neutral', 'fc-attainment'));
    if (!items.length) {
      replace(tableHost, emptyState(t('sales.forecast.none'), t('sales.forecast.none_hint')));
      chart.el.hidden = true;
      return () => chart.dispose();
    }
    const names = items.map(label);
    const series = [
      ['closed_won', t('sales.forecast.closed_won')], ['commit', t('sales.forecast.commit')],
      ['best_case', t('sales.forecast.best_case')], ['pipeline', t('sales.forecast.pipeline')],
    ];
    chart.set({
      color: ['#14a38b', '#2f6fed', '#8e4ec6', '#cbd5e1', '#e5484d'],
      legend: { top: 0, data: [...series.map((s) => s[1]), t('sales.forecast.quota')] },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: names, axisLabel: { interval: 0, width: 100, overflow: 'truncate' } },
      yAxis: { type: 'value', axisLabel: { formatter: (v) => money(v, 'CNY', true) } },
      tooltip: {
        ...TOOLTIP, trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: (params) => {
          const list = Array.isArray(params) ? params : [params];
          if (!list.length) return '';
          const it = items[list[0].dataIndex];
          return tipHead(label(it)) + list.map((p) => tipRow(p.seriesIndex, p.seriesName, money(p.value, 'CNY'))).join('')
            + tipRow(null, t('sales.forecast.attainment'), att(it.attainment));
        },
      },
      series: [
        ...series.map(([k, n]) => ({ name: n, type: 'bar', data: items.map((it) => it[k] ?? 0), barMaxWidth: 22 })),
        { name: t('sales.forecast.quota'), type: 'line', data: items.map((it) => it.quota || null), symbol: 'rect', symbolSize: [22, 3], lineStyle: { opacity: 0 }, itemStyle: { color: '#e5484d' } },
      ],
    });
    const cols = [
      { key: 'label', label: t(`sales.forecast.group_${group}`), header: true, render: (it) => label(it) },
      ...['closed_won', 'commit', 'best_case', 'weighted_pipeline', 'pipeline', 'forecast', 'quota'].map((k) => ({ key: k, label: t(`sales.forecast.${k === 'weighted_pipeline' ? 'weighted' : k}`), align: 'end', render: (it) => h('span', { class: 'num', text: money(it[k], 'CNY') }) })),
      { key: 'attainment', label: t('sales.forecast.attainment'), align: 'end', render: (it) => att(it.attainment) },
      { key: 'open_count', label: t('sales.forecast.open_count'), align: 'end', render: (it) => formatNumber(it.open_count ?? 0) },
    ];
    replace(tableHost, dataTable({ caption: t('sales.forecast.table'), rowKey: 'key', columns: cols, rows: [...items, { ...total, key: 'total', label: { en: t('sales.forecast.total'), 'zh-CN': t('sales.forecast.total') } }] }));
    const last = tableHost.querySelector('tbody tr:last-child');
    if (last) last.classList.add('total-row');
  } catch (err) {
    if (err.name !== 'AbortError') { replace(tableHost, unavailable(err)); chart.el.hidden = true; }
  }
  return () => chart.dispose();
}

// ---- the account detail's opportunities card -----------------------------------------------

/** Card with the account's opportunities (open first) and a "New opportunity" for it. */
export function accountOpportunitiesCard(account, signal) {
  const body = h('div', { id: 'acc-opps' }, loadingState());
  const add = can(...PERM.opportunityWrite)
    ? h('button', { type: 'button', class: 'btn btn-sm', id: 'acc-opp-new', on: { click: () => opportunityDialog(signal, { accountId: account.id, accountName: account.name }) } }, icon('plus'), t('sales.opps.new'))
    : null;
  const card = h('section', { class: 'card span-3', 'aria-labelledby': 'acc-opps-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'acc-opps-h' }, icon('funnel'), t('sales.opps.title')), add), body);
  (async () => {
    try {
      const data = await api.get('/api/v1/sales/opportunities', { signal, query: { account_id: account.id, limit: 100, sort: 'expected_close_date', order: 'desc' } });
      const items = ((data && data.items) || []).sort((a, b) => (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1));
      if (!items.length) { replace(body, emptyState(t('sales.opps.none_for_account'))); return; }
      const open = items.filter((o) => o.status === 'open');
      const sum = open.reduce((acc, o) => acc + (Number(o.amount) || 0), 0);
      replace(body,
        amountHidden() ? null : h('p', { class: 'muted small', text: t('sales.opps.open_summary', { count: open.length, amount: money(sum, 'CNY') }) }),
        dataTable({
          caption: t('sales.opps.title'),
          columns: [
            { key: 'name', label: t('sales.opps.fields.name'), header: true, render: (o) => h('a', { href: `#/sales/opportunities/${seg(o.id)}`, text: o.name || '—' }) },
            { key: 'stage', label: t('sales.opps.fields.stage'), render: (o) => chip(stageName(o), STATUS_CHIP[o.status] || 'neutral') },
            amountHidden() ? null : { key: 'amount', label: t('sales.opps.fields.amount'), align: 'end', render: (o) => h('span', { class: 'num', text: money(o.amount, o.currency) }) },
            { key: 'expected_close_date', label: t('sales.opps.fields.expected_close_date'), render: (o) => closeDateCell(o) },
            { key: 'owner', label: t('sales.fields.owner'), render: (o) => o.owner_name || '—' },
          ],
          rows: items,
          onRowClick: (o) => navigate(`/sales/opportunities/${o.id}`),
        }));
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, unavailable(err));
    }
  })();
  return card;
}

// ---- nav / helpers for the shell -------------------------------------------------------------------

export function salesNavItems() {
  const items = [];
  if (can(...PERM.opportunityRead)) items.push({ id: 'sales-opportunities', href: '#/sales/opportunities', label: t('sales.nav.opportunities'), icon: 'funnel' });
  if (can(...PERM.leadRead)) items.push({ id: 'sales-leads', href: '#/sales/leads', label: t('sales.nav.leads'), icon: 'lead' });
  if (can(...PERM.forecastRead)) items.push({ id: 'sales-forecast', href: '#/sales/forecast', label: t('sales.nav.forecast'), icon: 'chart' });
  return items;
}
