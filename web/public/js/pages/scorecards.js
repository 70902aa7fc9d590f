// Scorecards and performance evaluations (reporting API, docs/reporting.md):
//   #/scorecards?scorecard=…&department_id=…&period=…   template × subject group × period → ranking,
//                                                       KPI table of the chosen subject, trend sparklines
//   #/evaluations                                       cycle list, "New cycle" dialog
//   #/evaluations/{id}                                  participants, submit / approve, grade chart, export
//   #/evaluations/{id}/people/{uid}                     per-person review: scorecard + adjustment + comment
// A KPI row of the scorecard opens that KPI's trend chart (scorecard-kpi.js); results export as
// CSV / XLSX / PDF (exports.js).
// All data goes in as text; the chart tooltips escape their values (tipHead / tipRow).

import { h, replace } from '../dom.js';
import { t, localized, getLocale, formatNumber, formatByUnit, formatPercent, formatDate, formatSigned } from '../i18n.js';
import { api, seg } from '../api.js';
import { updateQuery, navigate } from '../router.js';
import { can, PERM } from '../session.js';
import { pageHeader, loadingState, emptyState, errorState, openDialog, toast, toastError, chip, dataTable, confirmDialog } from '../ui.js';
import { PRESETS, resolvePreset } from '../charts/periods.js';
import { simpleChart, tipHead, tipRow, TOOLTIP } from '../charts/simple.js';
import { PALETTE } from '../charts/widgets.js';
import { exportButtons, mayExport, periodSuffix } from '../exports.js';
import { openKpiChart } from './scorecard-kpi.js';
import { roleLabel } from './admin-common.js';

const PERIOD_PRESETS = PRESETS.filter((p) => p !== 'custom');
const RAG = ['green', 'amber', 'red'];

function ragChip(rag) {
  const kind = RAG.includes(rag) ? rag : 'neutral';
  const el = chip(RAG.includes(rag) ? t(`kpi.status.${rag}`) : '—', kind);
  el.classList.add('rag-chip');
  el.dataset.rag = kind;
  return el;
}

function score(v) { return formatNumber(v, { maxDigits: 2, minDigits: 2 }); }

function deptLabel(d) {
  const depth = Math.max(0, String(d.path || '').split('/').filter(Boolean).length - 1);
  const name = getLocale() === 'zh-CN' && d.name_zh ? d.name_zh : d.name;
  return `${'  '.repeat(depth)}${name}`;
}

async function loadDepartments(signal) {
  try {
    const data = await api.get('/api/v1/departments', { signal });
    return ((data && data.items) || []).slice().sort((a, b) => String(a.path).localeCompare(String(b.path)));
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return [];
  }
}

/** Role names to filter people by: the role list when readable, else the built-in ones. */
async function loadRoles(signal) {
  if (can(...PERM.roleRead)) {
    try {
      const data = await api.get('/api/v1/admin/roles', { signal });
      const names = ((data && data.items) || []).map((r) => r.name).filter((n) => n && n !== 'admin');
      if (names.length) return names;
    } catch (err) {
      if (err.name === 'AbortError') throw err;
    }
  }
  return ['rep', 'manager', 'analyst'];
}

/** A role select: "All roles" ('') and each role; `selected` preselects one. */
function roleSelect(id, roles, selected) {
  return h('select', { id }, h('option', { value: '', text: t('scorecards.all_roles') }),
    roles.map((r) => h('option', { value: r, selected: r === selected, text: roleLabel(r) })));
}

/** The template's own people (its `subject_roles`), the default of the role select. */
function templateRole(tpl) {
  return tpl && Array.isArray(tpl.subject_roles) && tpl.subject_roles.length ? String(tpl.subject_roles[0]) : '';
}

function labelled(id, label, control) {
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
}

/** A small inline SVG line of the trend scores (attributes only: CSP-safe, no HTML). */
function sparkline(trend) {
  const pts = (trend || []).map((p) => Number(p.score) || 0);
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('class', 'sc-spark');
  svg.setAttribute('viewBox', '0 0 80 24');
  svg.setAttribute('width', '80');
  svg.setAttribute('height', '24');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('scorecards.trend_label', { values: (trend || []).map((p) => score(p.score)).join(', ') }));
  if (pts.length > 1) {
    const max = Math.max(...pts, 1);
    const min = Math.min(...pts, 0);
    const span = max - min || 1;
    const d = pts.map((v, i) => `${(i * 78) / (pts.length - 1) + 1},${23 - ((v - min) / span) * 22}`).join(' ');
    const line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', d);
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', PALETTE[0]);
    line.setAttribute('stroke-width', '2');
    svg.appendChild(line);
  }
  const title = document.createElementNS(NS, 'title');
  title.textContent = svg.getAttribute('aria-label');
  svg.appendChild(title);
  return svg;
}

/**
 * KPI table of one subject / participant: actual, target, attainment, RAG, weight, score. With
 * `onKpi` a row (and its name, a button for the keyboard) opens that KPI's chart.
 */
function kpiTable(items, caption, onKpi) {
  const name = (r) => localized(r.name) || r.kpi;
  return dataTable({
    caption,
    rowKey: 'kpi',
    rows: items || [],
    onRowClick: onKpi ? (r) => onKpi(r) : undefined,
    columns: [
      { key: 'name', label: t('scorecards.kpi'), header: true,
        render: (r) => (onKpi
          ? h('button', { type: 'button', class: 'link-btn sc-kpi-open', title: t('scorecards.kpi_chart.open', { kpi: name(r) }), text: name(r), on: { click: () => onKpi(r) } })
          : name(r)) },
      { key: 'value', label: t('scorecards.actual'), align: 'right', render: (r) => formatByUnit(r.value, r.unit) },
      { key: 'target', label: t('scorecards.target'), align: 'right', render: (r) => formatByUnit(r.target, r.unit) },
      { key: 'attainment', label: t('scorecards.attainment'), align: 'right', render: (r) => formatPercent(r.attainment) },
      { key: 'rag', label: t('scorecards.status'), render: (r) => ragChip(r.rag) },
      { key: 'weight', label: t('scorecards.weight'), align: 'right', render: (r) => formatNumber(r.weight) },
      { key: 'score', label: t('scorecards.score'), align: 'right', render: (r) => score(r.score) },
    ],
  });
}

// ---- scorecards -----------------------------------------------------------------------------

export async function renderScorecards({ main, query, signal }) {
  main.appendChild(pageHeader(t('scorecards.title'), { subtitle: t('scorecards.subtitle') }));
  const filtersEl = h('div', { class: 'filter-bar sc-filters' });
  const body = h('div', { class: 'sc-body' }, loadingState());
  main.append(filtersEl, body);

  let templates = [];
  let departments = [];
  let roles = [];
  try {
    const [data, deps, rs] = await Promise.all([api.get('/api/v1/reports/scorecards', { signal }), loadDepartments(signal), loadRoles(signal)]);
    templates = (data && data.items) || [];
    departments = deps;
    roles = rs;
  } catch (err) {
    if (err.name === 'AbortError') return undefined;
    replace(body, errorState(err, () => navigate('/scorecards', query)));
    return undefined;
  }
  if (!templates.length) { replace(body, emptyState(t('scorecards.none'))); return undefined; }

  const state = {
    scorecard: templates.some((x) => x.id === query.scorecard) ? query.scorecard : templates[0].id,
    department_id: query.department_id || '',
    period: PERIOD_PRESETS.includes(query.period) ? query.period : 'year_to_date',
    subject: query.subject || '',
  };
  const tplOf = (id) => templates.find((x) => x.id === id);
  const forPeople = () => ((tplOf(state.scorecard) || {}).subject || 'user') === 'user';
  // People templates score one role by default (the sales rep template: reps); "" = every role.
  // In the URL only when it differs from the template's default ("all" = every role).
  state.role = query.role === 'all' ? '' : query.role ? String(query.role) : templateRole(tplOf(state.scorecard));

  const tplSel = h('select', { id: 'sc-template' }, templates.map((x) => h('option', { value: x.id, selected: x.id === state.scorecard, text: `${localized(x.name) || x.id} · ${t(`scorecards.subjects.${x.subject}`)}` })));
  const depSel = h('select', { id: 'sc-department' }, h('option', { value: '', text: t('filters.all_departments') }),
    departments.map((d) => h('option', { value: String(d.id), selected: String(d.id) === state.department_id, text: deptLabel(d) })));
  const perSel = h('select', { id: 'sc-period' }, PERIOD_PRESETS.map((p) => h('option', { value: p, selected: p === state.period, text: t(`period.presets.${p}`) })));
  const roleSel = roleSelect('sc-role', roles, state.role);
  if (state.role && ![...roleSel.options].some((o) => o.value === state.role)) roleSel.appendChild(h('option', { value: state.role, selected: true, text: roleLabel(state.role) }));
  const roleField = labelled('sc-role', t('scorecards.role'), roleSel);
  const showRole = () => { roleField.hidden = !forPeople(); };
  showRole();
  replace(filtersEl,
    labelled('sc-template', t('scorecards.template'), tplSel),
    labelled('sc-department', t('scorecards.group'), depSel),
    roleField,
    labelled('sc-period', t('scorecards.period'), perSel));
  const query_ = () => ({
    scorecard: state.scorecard, department_id: state.department_id,
    role: state.role === templateRole(tplOf(state.scorecard)) ? '' : state.role || 'all',
    period: state.period, subject: state.subject,
  });

  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    updateQuery(query_());
    replace(body, loadingState());
    const req = { period: resolvePreset(state.period), trend_periods: 3 };
    if (state.department_id) req.department_id = Number(state.department_id);
    if (forPeople()) req.roles = state.role ? [state.role] : [];
    let data;
    try {
      data = await api.post(`/api/v1/reports/scorecards/${seg(state.scorecard)}/evaluate`, req, { signal });
    } catch (err) {
      if (err.name === 'AbortError' || mine !== seq) return;
      replace(body, errorState(err, load));
      return;
    }
    if (mine !== seq) return;
    const subjects = (data && data.subjects) || [];
    if (!subjects.length) { replace(body, emptyState(t('scorecards.empty'), t('scorecards.empty_hint'))); return; }
    const detail = h('section', { class: 'card sc-detail', 'aria-live': 'polite' });
    const show = (subj) => {
      state.subject = String(subj.id);
      updateQuery(query_());
      for (const tr of body.querySelectorAll('.sc-ranking tbody tr')) tr.classList.toggle('selected', tr.dataset.key === state.subject);
      replace(detail,
        h('div', { class: 'sc-detail-head' },
          h('h2', { text: subj.name || String(subj.id) }),
          h('span', { class: 'sc-composite', text: t('scorecards.composite_value', { score: score(subj.score), rank: formatNumber(subj.rank) }) }),
          ragChip(subj.rag)),
        kpiTable(subj.items, t('scorecards.kpis_of', { name: subj.name || '' }),
          (item) => openKpiChart({ item, subject: subj, kind: (data.scorecard && data.scorecard.subject) || 'user', period: data.period })),
        h('p', { class: 'muted small', text: t('scorecards.kpi_chart.row_hint') }));
    };
    const ranking = dataTable({
      caption: t('scorecards.ranking'),
      rows: subjects,
      onRowClick: (row) => show(row),
      columns: [
        { key: 'rank', label: t('scorecards.rank'), align: 'right', render: (r) => formatNumber(r.rank) },
        { key: 'name', label: t('scorecards.subject'), header: true, render: (r) => h('button', { type: 'button', class: 'link-btn', text: r.name || String(r.id), on: { click: () => show(r) } }) },
        { key: 'score', label: t('scorecards.composite'), align: 'right', render: (r) => score(r.score) },
        { key: 'rag', label: t('scorecards.status'), render: (r) => ragChip(r.rag) },
        { key: 'change', label: t('scorecards.change'), align: 'right', render: (r) => (r.change === null || r.change === undefined ? '—' : formatSigned(r.change, { minDigits: 2 })) },
        { key: 'trend', label: t('scorecards.trend'), render: (r) => sparkline(r.trend) },
      ],
    });
    ranking.classList.add('sc-ranking');
    const template = templates.find((x) => x.id === state.scorecard);
    // The export re-runs the same evaluation (answered from the server's scorecard cache).
    const exports = mayExport() ? exportButtons({
      id: 'sc-export',
      path: `/api/v1/reports/scorecards/${seg(state.scorecard)}/export`,
      body: req,
      filename: `scorecard-${(template && localized(template.name)) || state.scorecard}${periodSuffix(data.period)}`,
    }) : null;
    replace(body,
      h('div', { class: 'sc-toolbar' },
        h('p', { class: 'muted small', text: t('scorecards.period_range', { from: formatDate(data.period && data.period.from), to: formatDate(data.period && data.period.to) }) }),
        exports),
      ranking, detail);
    show(subjects.find((x) => String(x.id) === state.subject) || subjects[0]);
  };
  tplSel.addEventListener('change', () => {
    state.scorecard = tplSel.value;
    state.subject = '';
    state.role = templateRole(tplOf(state.scorecard));
    roleSel.value = state.role;
    showRole();
    load();
  });
  roleSel.addEventListener('change', () => { state.role = roleSel.value; state.subject = ''; load(); });
  depSel.addEventListener('change', () => { state.department_id = depSel.value; state.subject = ''; load(); });
  perSel.addEventListener('change', () => { state.period = perSel.value; load(); });
  await load();
  return undefined;
}

// ---- evaluations ----------------------------------------------------------------------------

const STATUS_KIND = { draft: 'neutral', submitted: 'info', approved: 'green' };
function statusChip(status) {
  const el = chip(t(`evaluations.status.${status}`) === `evaluations.status.${status}` ? String(status) : t(`evaluations.status.${status}`), STATUS_KIND[status] || 'neutral');
  el.classList.add('eval-status');
  el.dataset.status = String(status);
  return el;
}

function periodText(p) {
  return p ? t('period.range', { from: formatDate(p.from), to: formatDate(p.to) }) : '—';
}

export async function renderEvaluationList({ main, signal }) {
  const actions = can(...PERM.evaluationWrite)
    ? [h('button', { type: 'button', class: 'btn btn-primary', id: 'eval-new', text: t('evaluations.new'), on: { click: () => newCycleDialog(signal) } })]
    : [];
  main.appendChild(pageHeader(t('evaluations.title'), { actions }));
  const body = h('div', null, loadingState());
  main.appendChild(body);
  const load = async () => {
    replace(body, loadingState());
    try {
      const data = await api.get('/api/v1/reports/evaluations', { signal });
      const items = (data && data.items) || [];
      if (!items.length) { replace(body, emptyState(t('evaluations.none'), t('evaluations.none_hint'))); return; }
      replace(body, dataTable({
        caption: t('evaluations.title'),
        rows: items,
        onRowClick: (r) => navigate(`/evaluations/${seg(r.id)}`),
        columns: [
          { key: 'name', label: t('evaluations.name'), header: true, render: (r) => h('a', { href: `#/evaluations/${seg(r.id)}`, text: r.name || String(r.id) }) },
          { key: 'period', label: t('evaluations.period'), render: (r) => periodText(r.period) },
          { key: 'scorecard', label: t('evaluations.scorecard'), render: (r) => String(r.scorecard || '') },
          { key: 'status', label: t('evaluations.status_label'), render: (r) => statusChip(r.status) },
        ],
      }));
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(body, errorState(err, load));
    }
  };
  await load();
}

async function newCycleDialog(signal) {
  const { body, close } = openDialog({ title: t('evaluations.new'), size: 'md' });
  body.appendChild(loadingState());
  let templates = [];
  let departments = [];
  let roles = [];
  try {
    const [data, deps, rs] = await Promise.all([api.get('/api/v1/reports/scorecards', { signal }), loadDepartments(signal), loadRoles(signal)]);
    // A cycle grades people: templates for teams or departments are not offered.
    templates = ((data && data.items) || []).filter((x) => (x.subject || 'user') === 'user');
    departments = deps;
    roles = rs;
  } catch (err) {
    replace(body, errorState(err));
    return;
  }
  const year = new Date().getFullYear();
  const name = h('input', { id: 'ev-name', type: 'text', required: true, maxlength: '200' });
  const tpl = h('select', { id: 'ev-scorecard' }, templates.map((x) => h('option', { value: x.id, text: localized(x.name) || x.id })));
  const from = h('input', { id: 'ev-from', type: 'date', required: true, value: `${year}-01-01` });
  const to = h('input', { id: 'ev-to', type: 'date', required: true, value: `${year}-06-30` });
  const dep = h('select', { id: 'ev-department' }, h('option', { value: '', text: t('filters.all_departments') }),
    departments.map((d) => h('option', { value: String(d.id), text: deptLabel(d) })));
  const role = roleSelect('ev-role', roles, templateRole(templates[0]));
  tpl.addEventListener('change', () => { role.value = templateRole(templates.find((x) => x.id === tpl.value)); });
  const bound = h('input', { id: 'ev-bound', type: 'number', min: '0', max: '100', step: '0.5', value: '10' });
  const grading = h('select', { id: 'ev-grading' },
    h('option', { value: 'bands', text: t('evaluations.grading_bands') }),
    h('option', { value: 'forced', text: t('evaluations.grading_forced') }));
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ev-create', text: t('evaluations.create') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close('cancel') } });
  const form = h('form', { class: 'form', novalidate: true },
    labelled('ev-name', t('evaluations.name'), name),
    labelled('ev-scorecard', t('evaluations.scorecard'), tpl),
    h('div', { class: 'form-row' }, labelled('ev-from', t('period.from'), from), labelled('ev-to', t('period.to'), to)),
    labelled('ev-department', t('evaluations.participants_department'), dep),
    labelled('ev-role', t('evaluations.participants_role'), role),
    labelled('ev-bound', t('evaluations.bound'), bound),
    labelled('ev-grading', t('evaluations.grading'), grading),
    error,
    h('div', { class: 'dialog-actions' }, cancel, save));
  replace(body, form);
  name.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!name.value.trim() || !from.value || !to.value) { error.textContent = t('evaluations.required'); error.hidden = false; return; }
    const req = {
      name: name.value.trim(),
      scorecard: tpl.value,
      period: { from: from.value, to: to.value },
      participants: { ...(dep.value ? { department_id: Number(dep.value) } : {}), roles: role.value ? [role.value] : [] },
      adjustment_bound: Number(bound.value) || 0,
      grading: grading.value === 'forced'
        ? { method: 'forced', grades: [{ name: 'A', percent: 20 }, { name: 'B', percent: 70 }, { name: 'C', percent: 10 }] }
        : { method: 'bands', grades: [{ name: 'A', min: 90 }, { name: 'B', min: 75 }, { name: 'C', min: 60 }, { name: 'D', min: 0 }] },
    };
    save.disabled = true;
    try {
      const created = await api.post('/api/v1/reports/evaluations', req);
      close('ok');
      toast(t('evaluations.created'), 'success');
      navigate(`/evaluations/${seg(created.id)}`);
    } catch (err) {
      save.disabled = false;
      const fields = err.fields ? Object.values(err.fields).join(' ') : '';
      error.textContent = fields || err.message;
      error.hidden = false;
    }
  });
}

/** "Return to draft" needs a reason (POST …/return {"comment"}). */
function returnDialog(id, reload) {
  const { body, close } = openDialog({ title: t('evaluations.return'), size: 'sm' });
  const comment = h('textarea', { id: 'ev-return-comment', rows: '3', maxlength: '2000', required: true });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const ok = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ev-return-confirm', text: t('evaluations.return') });
  const cancel = h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close('cancel') } });
  const form = h('form', { class: 'form', novalidate: true }, labelled('ev-return-comment', t('evaluations.return_comment'), comment), error, h('div', { class: 'dialog-actions' }, cancel, ok));
  body.appendChild(form);
  comment.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!comment.value.trim()) { error.textContent = t('evaluations.return_required'); error.hidden = false; return; }
    ok.disabled = true;
    try {
      await api.post(`/api/v1/reports/evaluations/${seg(id)}/return`, { comment: comment.value.trim() });
      close('ok');
      toast(t('evaluations.returned'), 'success');
      await reload();
    } catch (err) {
      ok.disabled = false;
      error.textContent = err.fields ? Object.values(err.fields).join(' ') : err.message;
      error.hidden = false;
    }
  });
}

function gradeChart(ev) {
  const grades = ((ev.grading && ev.grading.grades) || []).map((g) => g.name);
  for (const p of ev.participants || []) if (p.grade && !grades.includes(p.grade)) grades.push(p.grade);
  const counts = grades.map((g) => (ev.participants || []).filter((p) => p.grade === g).length);
  const chart = simpleChart({ label: t('evaluations.grade_chart'), height: 260, id: 'eval-grade-chart' });
  chart.set({
    grid: { left: 40, right: 16, top: 16, bottom: 30 },
    tooltip: {
      ...TOOLTIP,
      trigger: 'axis',
      formatter: (params) => {
        const p = Array.isArray(params) ? params[0] : params;
        return p ? tipHead(t('evaluations.grade_named', { grade: p.name })) + tipRow(0, t('evaluations.people'), formatNumber(p.value)) : '';
      },
    },
    xAxis: { type: 'category', data: grades },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', name: t('evaluations.people'), data: counts, itemStyle: { color: PALETTE[0] }, barMaxWidth: 48 }],
  });
  return chart;
}

export async function renderEvaluation({ main, params, signal }) {
  const id = params.id;
  const crumbs = [{ label: t('evaluations.title'), href: '#/evaluations' }];
  const headEl = h('div', null, pageHeader(t('evaluations.cycle'), { crumbs }));
  const body = h('div', null, loadingState());
  main.append(headEl, body);
  let chart = null;
  const load = async () => {
    let ev;
    try {
      ev = await api.get(`/api/v1/reports/evaluations/${seg(id)}`, { signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(body, errorState(err, load));
      return;
    }
    if (chart) { chart.dispose(); chart = null; }
    const act = async (verb, okKey) => {
      try {
        await api.post(`/api/v1/reports/evaluations/${seg(id)}/${verb}`, {});
        toast(t(okKey), 'success');
        await load();
      } catch (err) { toastError(err); }
    };
    const actions = [];
    if (ev.status === 'draft' && can(...PERM.evaluationWrite)) {
      actions.push(h('button', { type: 'button', class: 'btn btn-primary', id: 'eval-submit', text: t('evaluations.submit'),
        on: { click: async () => { if (await confirmDialog({ title: t('evaluations.submit'), message: t('evaluations.submit_confirm'), confirmLabel: t('evaluations.submit') })) act('submit', 'evaluations.submitted'); } } }));
    }
    if (ev.status === 'submitted' && can(...PERM.evaluationApprove)) {
      actions.push(h('button', { type: 'button', class: 'btn btn-primary', id: 'eval-approve', text: t('evaluations.approve'),
        on: { click: async () => { if (await confirmDialog({ title: t('evaluations.approve'), message: t('evaluations.approve_confirm'), confirmLabel: t('evaluations.approve') })) act('approve', 'evaluations.approved'); } } }));
    }
    if (ev.status === 'submitted' && can(...PERM.evaluationApprove)) {
      actions.push(h('button', { type: 'button', class: 'btn', id: 'eval-return', text: t('evaluations.return'), on: { click: () => returnDialog(id, load) } }));
    }
    if (mayExport()) {
      actions.push(exportButtons({ id: 'eval-export', path: `/api/v1/reports/evaluations/${seg(id)}/export`, filename: `evaluation-${ev.name || id}` }));
    }
    replace(headEl, pageHeader(ev.name || t('evaluations.cycle'), { crumbs, actions, subtitle: `${periodText(ev.period)} · ${t('evaluations.bound_value', { bound: formatNumber(ev.adjustment_bound) })}` }));
    const h1 = headEl.querySelector('h1');
    if (h1) h1.after(statusChip(ev.status));
    const people = ev.participants || [];
    const table = people.length ? dataTable({
      caption: t('evaluations.participants'),
      rowKey: 'user_id',
      rows: people,
      columns: [
        { key: 'name', label: t('evaluations.person'), header: true, render: (r) => h('a', { href: `#/evaluations/${seg(id)}/people/${seg(r.user_id)}`, text: r.name || String(r.user_id) }) },
        { key: 'score', label: t('scorecards.score'), align: 'right', render: (r) => score(r.score) },
        { key: 'adjustment', label: t('evaluations.adjustment'), align: 'right', render: (r) => formatSigned(r.adjustment || 0) },
        { key: 'final_score', label: t('evaluations.final_score'), align: 'right', render: (r) => score(r.final_score) },
        { key: 'grade', label: t('evaluations.grade'), render: (r) => (r.grade ? chip(String(r.grade), 'info') : '—') },
        { key: 'comment', label: t('evaluations.comment'), render: (r) => r.comment || '' },
      ],
    }) : emptyState(t('evaluations.no_participants'));
    const chartCard = h('section', { class: 'card eval-grades' }, h('h2', { text: t('evaluations.grade_chart') }));
    if (people.some((p) => p.grade)) {
      chart = gradeChart(ev);
      chartCard.appendChild(chart.el);
    } else {
      chartCard.appendChild(emptyState(t('evaluations.grades_pending')));
    }
    replace(body, chartCard, h('section', { class: 'card eval-people' }, h('h2', { text: t('evaluations.participants') }), table));
  };
  await load();
  return () => { if (chart) chart.dispose(); };
}

export async function renderEvaluationPerson({ main, params, signal }) {
  const { id, uid } = params;
  let ev;
  try {
    ev = await api.get(`/api/v1/reports/evaluations/${seg(id)}`, { signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    main.append(pageHeader(t('evaluations.review')), errorState(err));
    return;
  }
  const p = (ev.participants || []).find((x) => String(x.user_id) === String(uid));
  const crumbs = [{ label: t('evaluations.title'), href: '#/evaluations' }, { label: ev.name || String(id), href: `#/evaluations/${seg(id)}` }];
  if (!p) { main.append(pageHeader(t('evaluations.review'), { crumbs }), emptyState(t('errors.not_found'))); return; }
  main.appendChild(pageHeader(t('evaluations.review_of', { name: p.name || String(uid) }), { crumbs, subtitle: periodText(ev.period) }));
  main.appendChild(h('section', { class: 'card' },
    h('div', { class: 'sc-detail-head' }, h('h2', { text: t('scorecards.composite') }), h('span', { class: 'sc-composite', text: score(p.score) })),
    kpiTable(p.items, t('scorecards.kpis_of', { name: p.name || '' }))));
  const bound = Number(ev.adjustment_bound) || 0;
  const editable = ev.status === 'draft' && can(...PERM.evaluationWrite);
  const adj = h('input', { id: 'ev-adjustment', type: 'number', step: '0.5', min: String(-bound), max: String(bound), value: String(p.adjustment || 0), disabled: !editable, 'aria-describedby': 'ev-adjustment-hint' });
  const comment = h('textarea', { id: 'ev-comment', rows: '4', maxlength: '2000', disabled: !editable }, p.comment || '');
  const finalEl = h('output', { id: 'ev-final', for: 'ev-adjustment', class: 'sc-composite' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const updateFinal = () => { finalEl.textContent = score((Number(p.score) || 0) + (Number(adj.value) || 0)); };
  adj.addEventListener('input', updateFinal);
  updateFinal();
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'ev-save', text: t('common.save'), disabled: !editable });
  const form = h('form', { class: 'form card', novalidate: true },
    h('h2', { text: t('evaluations.manager_review') }),
    h('div', { class: 'field' }, h('label', { for: 'ev-adjustment', text: t('evaluations.adjustment') }), adj,
      h('p', { class: 'field-hint', id: 'ev-adjustment-hint', text: t('evaluations.bound_hint', { bound: formatNumber(bound) }) })),
    h('p', null, h('span', { text: `${t('evaluations.final_score')}: ` }), finalEl),
    labelled('ev-comment', t('evaluations.comment'), comment),
    editable ? null : h('p', { class: 'muted', text: t('evaluations.locked') }),
    error,
    h('div', { class: 'form-actions' }, save));
  main.appendChild(form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    const value = Number(adj.value);
    if (!Number.isFinite(value) || Math.abs(value) > bound) { error.textContent = t('evaluations.bound_error', { bound: formatNumber(bound) }); error.hidden = false; return; }
    if (value !== 0 && !comment.value.trim()) { error.textContent = t('evaluations.comment_required'); error.hidden = false; comment.focus(); return; }
    save.disabled = true;
    try {
      await api.put(`/api/v1/reports/evaluations/${seg(id)}/participants/${seg(uid)}`, { adjustment: value, comment: comment.value.trim() || null });
      toast(t('evaluations.saved'), 'success');
      navigate(`/evaluations/${seg(id)}`);
    } catch (err) {
      save.disabled = false;
      error.textContent = err.fields ? Object.values(err.fields).join(' ') : err.message;
      error.hidden = false;
    }
  });
}
