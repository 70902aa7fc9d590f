// The chart behind one KPI row of a scorecard: the KPI's trend for that subject over the scored
// period against the period before, from the KPI evaluation API narrowed the way the scorecard
// narrowed it (a person: owner_id; a team: owner_ids = its members; a department: department_id),
// so the line ends at the row's actual value. Target line and threshold bands are drawn where
// they compare with the plotted values: for ratios and averages, or for sums and counts once the
// line is cumulative (a period target says nothing about one month of a sum).
// Data goes in as text; the tooltip escapes every value (tipHead / tipRow).

import { h, replace } from '../dom.js';
import { t, localized, formatByUnit, formatPercent, formatPeriod, formatDate } from '../i18n.js';
import { api, seg } from '../api.js';
import { openDialog, loadingState, emptyState, errorState, dataTable } from '../ui.js';
import { simpleChart, tipHead, tipRow, TOOLTIP } from '../charts/simple.js';
import { PALETTE } from '../charts/widgets.js';

const CURRENT = 0;        // palette index of this period's line
const PREVIOUS = 8;       // grey: the period before
const TARGET = '#e5484d';
const BANDS = { green: 'rgba(20, 163, 139, 0.08)', amber: 'rgba(240, 160, 32, 0.10)', red: 'rgba(229, 72, 77, 0.07)' };

/** The KPI evaluation body that narrows a KPI to one scorecard subject. */
export function subjectNarrowing(kind, subject) {
  if (kind === 'department') return { department_id: Number(subject.id) };
  if (kind === 'team') return { owner_ids: (subject.members && subject.members.length ? subject.members : [subject.id]).map(Number) };
  return { owner_id: Number(subject.id) };
}

/**
 * How a KPI's buckets relate to its period value: sums and counts add up ('additive'); ratios,
 * averages, minima and maxima are read per bucket like the period ('level'); a distinct count is
 * neither, so no period target is drawn against it. Unknown definitions are treated like that too.
 */
function bucketKind(def) {
  if (!def) return 'other';
  if (def.ratio) return 'level';
  const agg = (def.measure && def.measure.aggregate) || 'count';
  if (agg === 'sum' || agg === 'count') return 'additive';
  return ['avg', 'min', 'max'].includes(agg) ? 'level' : 'other';
}

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function running(values) {
  let sum = 0;
  return values.map((v) => { sum += v ?? 0; return sum; });
}

/** A round upper bound for the value axis (1, 2, 2.5, 5 × 10^k). */
function niceCeil(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function bandAreas(thresholds, lower, lo, hi) {
  const good = num(thresholds && thresholds.good);
  const warn = num(thresholds && thresholds.warning);
  if (good === null || warn === null) return [];
  const area = (from, to, color) => [{ yAxis: from, itemStyle: { color } }, { yAxis: to }];
  return lower
    ? [area(lo, good, BANDS.green), area(good, warn, BANDS.amber), area(warn, hi, BANDS.red)]
    : [area(lo, warn, BANDS.red), area(warn, good, BANDS.amber), area(good, hi, BANDS.green)];
}

function chartOption({ labels, current, previous, unit, currency, target, thresholds, lower, comparable, names }) {
  const fmt = (v) => formatByUnit(v, unit, { currency });
  const all = [...current, ...previous].filter((v) => v !== null);
  const refs = comparable ? [target, num(thresholds && thresholds.good), num(thresholds && thresholds.warning)].filter((v) => v !== null && v !== undefined) : [];
  const lo = Math.min(0, ...all, ...refs);
  const hi = niceCeil(Math.max(...all, ...refs, 0) * 1.1);
  const bands = comparable ? bandAreas(thresholds, lower, lo, hi) : [];
  return {
    grid: { left: 64, right: 24, top: 36, bottom: 32 },
    legend: { top: 0, data: [names.current, names.previous] },
    tooltip: {
      ...TOOLTIP,
      trigger: 'axis',
      formatter: (params) => {
        const list = Array.isArray(params) ? params : [params];
        const i = list.length ? list[0].dataIndex : 0;
        return tipHead(labels.current[i] || '')
          + tipRow(CURRENT, `${names.current} · ${labels.current[i] || '—'}`, current[i] === null || current[i] === undefined ? '—' : fmt(current[i]))
          + tipRow(PREVIOUS, `${names.previous} · ${labels.previous[i] || '—'}`, previous[i] === null || previous[i] === undefined ? '—' : fmt(previous[i]))
          + (comparable && target !== null && target !== undefined ? tipRow(null, names.target, fmt(target)) : '');
      },
    },
    xAxis: { type: 'category', data: labels.current, boundaryGap: false },
    yAxis: { type: 'value', min: lo, max: hi, axisLabel: { formatter: (v) => formatByUnit(v, unit, { currency, compact: true }) } },
    series: [
      {
        type: 'line', name: names.current, data: current, connectNulls: false, symbolSize: 6,
        itemStyle: { color: PALETTE[CURRENT] }, lineStyle: { width: 2.5 },
        markLine: comparable && target !== null && target !== undefined ? {
          silent: true, symbol: 'none', lineStyle: { color: TARGET, type: 'dashed', width: 1.5 },
          label: { formatter: () => `${names.target} ${fmt(target)}`, position: 'insideEndTop', color: TARGET },
          data: [{ yAxis: target }],
        } : undefined,
        markArea: bands.length ? { silent: true, data: bands } : undefined,
      },
      { type: 'line', name: names.previous, data: previous, symbolSize: 4, itemStyle: { color: PALETTE[PREVIOUS] }, lineStyle: { type: 'dashed', width: 1.5 } },
    ],
  };
}

/**
 * Opens the chart dialog for one KPI row. `item` is the scorecard item ({kpi, name, value,
 * target, attainment, unit}), `subject` the scorecard subject, `kind` the template's subject
 * kind, `period` the scored {from, to}. Returns the dialog's close function.
 */
export function openKpiChart({ item, subject, kind, period }) {
  const kpiName = localized(item.name) || item.kpi;
  const subjectName = subject.name || String(subject.id);
  let chart = null;
  const controller = new AbortController();
  const { signal } = controller;
  const { body, close } = openDialog({
    title: t('scorecards.kpi_chart.title', { kpi: kpiName, name: subjectName }),
    size: 'lg',
    onClose: () => { controller.abort(); if (chart) chart.dispose(); },
  });
  body.classList.add('sc-kpi-dialog');
  const narrowing = subjectNarrowing(kind, subject);
  const path = `/api/v1/reports/kpis/${seg(item.kpi)}/evaluate`;

  const load = async () => {
    replace(body, loadingState());
    let cur; let prev; let def = null;
    try {
      const [c, catalog] = await Promise.all([
        api.post(path, { period, compare: 'previous_period', ...narrowing }, { signal }),
        api.get('/api/v1/reports/catalog', { signal }).catch((err) => { if (err.name === 'AbortError') throw err; return null; }),
      ]);
      cur = c;
      def = ((catalog && catalog.kpis) || []).find((k) => k.id === item.kpi) || null;
      prev = cur.previous_period
        ? await api.post(path, { period: cur.previous_period, compare: 'none', grain: cur.grain, ...narrowing }, { signal })
        : { series: [] };
    } catch (err) {
      if (err.name === 'AbortError') return;
      replace(body, errorState(err, load));
      return;
    }
    const series = cur.series || [];
    if (!series.length) { replace(body, emptyState(t('scorecards.kpi_chart.empty'))); return; }
    const unit = cur.unit || item.unit;
    const currency = cur.currency;
    const fmt = (v) => (v === null || v === undefined ? '—' : formatByUnit(v, unit, { currency }));
    const lower = cur.direction === 'lower_is_better';
    const additive = bucketKind(def) === 'additive';
    const base = {
      current: series.map((p) => num(p.value)),
      previous: series.map((_, i) => num(((prev.series || [])[i] || {}).value)),
    };
    const labels = {
      current: series.map((p) => formatPeriod(p.period)),
      previous: series.map((_, i) => ((prev.series || [])[i] ? formatPeriod(prev.series[i].period) : '')),
    };
    const names = {
      current: t('scorecards.kpi_chart.current'),
      previous: t('scorecards.kpi_chart.previous'),
      target: t('scorecards.target'),
    };

    const cumulative = h('input', { type: 'checkbox', role: 'switch', class: 'switch', id: 'sc-kpi-cumulative' });
    const hint = h('p', { class: 'muted small sc-kpi-hint' });
    chart = simpleChart({ label: t('scorecards.kpi_chart.chart_label', { kpi: kpiName, name: subjectName }), height: 320, id: 'sc-kpi-chart' });
    const draw = () => {
      const cum = additive && cumulative.checked;
      const comparable = bucketKind(def) === 'level' || cum;
      const values = cum ? { current: running(base.current), previous: running(base.previous) } : base;
      hint.textContent = comparable ? bandsText(cur.thresholds, lower, fmt) : additive ? t('scorecards.kpi_chart.target_hint') : '';
      hint.hidden = !hint.textContent;
      // data-drawn marks the end of ECharts' animation (screenshots, tests).
      chart.el.dataset.drawn = 'false';
      chart.set(chartOption({ labels, ...values, unit, currency, target: num(item.target), thresholds: cur.thresholds, lower, comparable, names }))
        .then((inst) => {
          if (!inst) return;
          inst.off('finished');
          inst.on('finished', () => { chart.el.dataset.drawn = 'true'; });
        });
    };
    cumulative.addEventListener('change', draw);

    const rows = series.map((p, i) => ({ id: String(i), period: labels.current[i], value: base.current[i], prevPeriod: labels.previous[i], prevValue: base.previous[i] }));
    const table = dataTable({
      caption: t('scorecards.kpi_chart.table_caption', { kpi: kpiName }),
      rows,
      columns: [
        { key: 'period', label: t('scorecards.kpi_chart.period'), header: true },
        { key: 'value', label: names.current, align: 'right', render: (r) => fmt(r.value) },
        { key: 'prevPeriod', label: t('scorecards.kpi_chart.previous_period') },
        { key: 'prevValue', label: names.previous, align: 'right', render: (r) => fmt(r.prevValue) },
      ],
    });
    table.classList.add('sc-kpi-table');

    replace(body,
      h('p', { class: 'sc-kpi-summary' },
        h('span', { text: t('scorecards.kpi_chart.summary', { value: fmt(item.value), target: fmt(item.target), attainment: formatPercent(item.attainment) }) }),
        h('span', { class: 'muted', text: ` · ${t('scorecards.kpi_chart.ranges', {
          from: formatDate(period.from), to: formatDate(period.to),
          prev_from: formatDate(cur.previous_period && cur.previous_period.from), prev_to: formatDate(cur.previous_period && cur.previous_period.to),
        })}` })),
      additive ? h('label', { class: 'switch-wrap sc-kpi-toggle', for: 'sc-kpi-cumulative' }, cumulative, h('span', { text: t('scorecards.kpi_chart.cumulative') })) : null,
      chart.el,
      hint,
      h('details', { class: 'sc-kpi-data' }, h('summary', { text: t('scorecards.kpi_chart.show_data') }), table),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-primary', text: t('common.close'), on: { click: () => close() } })));
    draw();
  };
  load();
  return close;
}

function bandsText(thresholds, lower, fmt) {
  const good = num(thresholds && thresholds.good);
  const warning = num(thresholds && thresholds.warning);
  if (good === null || warning === null) return '';
  return t(lower ? 'scorecards.kpi_chart.bands_lower' : 'scorecards.kpi_chart.bands_higher', { good: fmt(good), warning: fmt(warning) });
}
