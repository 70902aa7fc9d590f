// The forecast: a chart and a table per owner / team / department for a month or a quarter.

import {
  h, icon, replace, t, localized, getLocale, formatNumber, formatPercent, api, pageHeader, dataTable, loadingState,
  emptyState, selectInput, simpleChart, tipHead, tipRow, TOOLTIP, go, tr, money, crumbs, unavailable, tile,
} from '../common.js';

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
  const go = (q) => go('/forecast', { period_type: type, period_start: start, group, ...q });
  const typeSel = selectInput(['month', 'quarter'].map((v) => ({ value: v, label: t(`forecast.period_${v}`) })), type, { id: 'fc-period-type' });
  const groupSel = selectInput(['owner', 'team', 'department'].map((v) => ({ value: v, label: t(`forecast.group_${v}`) })), group, { id: 'fc-group' });
  typeSel.addEventListener('change', () => go({ period_type: typeSel.value, period_start: periodStart(typeSel.value, `${start}T00:00:00`) }));
  groupSel.addEventListener('change', () => go({ group: groupSel.value }));
  const prev = h('button', { type: 'button', class: 'btn btn-icon', id: 'fc-prev', 'aria-label': t('forecast.previous') }, icon('chevronLeft'));
  const next = h('button', { type: 'button', class: 'btn btn-icon', id: 'fc-next', 'aria-label': t('forecast.next') }, icon('chevronRight'));
  prev.addEventListener('click', () => go({ period_start: shiftPeriod(type, start, -1) }));
  next.addEventListener('click', () => go({ period_start: shiftPeriod(type, start, 1) }));
  const chart = simpleChart({ label: t('forecast.chart_label'), height: 340, id: 'forecast-chart' });
  const tiles = h('div', { class: 'summary-row', id: 'fc-tiles' });
  const tableHost = h('div', { id: 'fc-table' }, loadingState());
  main.append(
    pageHeader(t('forecast.title'), { subtitle: t('forecast.subtitle'), crumbs: crumbs({ label: t('forecast.title') }) }),
    h('div', { class: 'toolbar' },
      h('span', { class: 'period-nav' }, prev, h('strong', { class: 'period-label', id: 'fc-period', text: periodLabel(type, start) }), next),
      h('label', { for: 'fc-period-type', class: 'sr-only', text: t('forecast.period') }), typeSel,
      h('label', { for: 'fc-group', text: t('forecast.group_by') }), groupSel),
    tiles,
    h('section', { class: 'card chart-card', 'aria-labelledby': 'fc-chart-h' }, h('h2', { id: 'fc-chart-h', text: t('forecast.chart_label') }), chart.el),
    h('section', { class: 'card', 'aria-label': t('forecast.table') }, tableHost));

  try {
    const data = await api.get('/api/v1/sales/forecast', { signal, query: { period_type: type, period_start: start, group } });
    const items = (data && data.items) || [];
    const total = (data && data.total) || {};
    const label = (it) => (it.label === null || it.label === undefined ? t('forecast.unassigned') : localized(it.label));
    const att = (v) => (v === null || v === undefined ? '—' : formatPercent(Number(v) / 100));
    replace(tiles,
      tile(money(total.closed_won, 'CNY', true), t('forecast.closed_won'), 'green', 'fc-closed-won', money(total.closed_won, 'CNY')),
      tile(money(total.commit, 'CNY', true), t('forecast.commit'), 'info', 'fc-commit', money(total.commit, 'CNY')),
      tile(money(total.best_case, 'CNY', true), t('forecast.best_case'), 'neutral', 'fc-best-case', money(total.best_case, 'CNY')),
      tile(money(total.weighted_pipeline, 'CNY', true), t('forecast.weighted'), 'neutral', 'fc-weighted', money(total.weighted_pipeline, 'CNY')),
      tile(money(total.quota, 'CNY', true), t('forecast.quota'), 'neutral', 'fc-quota', money(total.quota, 'CNY')),
      tile(att(total.attainment), t('forecast.attainment'), Number(total.attainment) >= 100 ? 'green' : 'neutral', 'fc-attainment'));
    if (!items.length) {
      replace(tableHost, emptyState(t('forecast.none'), t('forecast.none_hint')));
      chart.el.hidden = true;
      return () => chart.dispose();
    }
    const names = items.map(label);
    const series = [
      ['closed_won', t('forecast.closed_won')], ['commit', t('forecast.commit')],
      ['best_case', t('forecast.best_case')], ['pipeline', t('forecast.pipeline')],
    ];
    chart.set({
      color: ['#14a38b', '#2f6fed', '#8e4ec6', '#cbd5e1', '#e5484d'],
      legend: { top: 0, data: [...series.map((s) => s[1]), t('forecast.quota')] },
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
            + tipRow(null, t('forecast.attainment'), att(it.attainment));
        },
      },
      series: [
        ...series.map(([k, n]) => ({ name: n, type: 'bar', data: items.map((it) => it[k] ?? 0), barMaxWidth: 22 })),
        { name: t('forecast.quota'), type: 'line', data: items.map((it) => it.quota || null), symbol: 'rect', symbolSize: [22, 3], lineStyle: { opacity: 0 }, itemStyle: { color: '#e5484d' } },
      ],
    });
    const cols = [
      { key: 'label', label: t(`forecast.group_${group}`), header: true, render: (it) => label(it) },
      ...['closed_won', 'commit', 'best_case', 'weighted_pipeline', 'pipeline', 'forecast', 'quota'].map((k) => ({ key: k, label: t(`forecast.${k === 'weighted_pipeline' ? 'weighted' : k}`), align: 'end', render: (it) => h('span', { class: 'num', text: money(it[k], 'CNY') }) })),
      { key: 'attainment', label: t('forecast.attainment'), align: 'end', render: (it) => att(it.attainment) },
      { key: 'open_count', label: t('forecast.open_count'), align: 'end', render: (it) => formatNumber(it.open_count ?? 0) },
    ];
    replace(tableHost, dataTable({ caption: t('forecast.table'), rowKey: 'key', columns: cols, rows: [...items, { ...total, key: 'total', label: { en: t('forecast.total'), 'zh-CN': t('forecast.total') } }] }));
    const last = tableHost.querySelector('tbody tr:last-child');
    if (last) last.classList.add('total-row');
  } catch (err) {
    if (err.name !== 'AbortError') { replace(tableHost, unavailable(err)); chart.el.hidden = true; }
  }
  return () => chart.dispose();
}

