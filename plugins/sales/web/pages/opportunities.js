// Opportunities: the list with a pipeline-by-account chart and summary tiles; ?view=board shows
// the pipeline board (board.js).

import {
  h, icon, replace, t, localized, formatNumber, formatPercent, api, seg, can, pageHeader, loadingState, emptyState,
  chip, selectInput, simpleChart, tipHead, tipRow, TOOLTIP, navigate, link, go, host, PERM, STATUS_CHIP, tr,
  money, amountHidden, crumbs, unavailable, loadPipelines, stageName, tile, closeDateCell,
} from '../common.js';
import { opportunityDialog } from '../dialogs.js';
import { opportunityBoard } from './board.js';

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
  const viewSwitch = h('div', { class: 'segmented', role: 'group', 'aria-label': t('opps.view') },
    h('a', { href: link('/opportunities', { view: 'list', q: state.q }), class: ['seg-btn', view === 'list' ? 'active' : ''], id: 'opp-view-list', 'aria-current': view === 'list' ? 'page' : null }, icon('list'), t('opps.view_list')),
    h('a', { href: link('/opportunities', { view: 'board', pipeline_id: state.pipeline_id }), class: ['seg-btn', view === 'board' ? 'active' : ''], id: 'opp-view-board', 'aria-current': view === 'board' ? 'page' : null }, icon('board'), t('opps.view_board')));
  actions.push(viewSwitch);
  if (can(...PERM.opportunityWrite)) actions.push(h('button', { type: 'button', class: 'btn btn-primary', id: 'opp-new', on: { click: () => opportunityDialog(signal) } }, icon('plus'), t('opps.new')));
  main.append(pageHeader(t('opps.title'), { subtitle: view === 'board' ? t('opps.board_subtitle') : t('opps.subtitle'), actions, crumbs: crumbs({ label: t('opps.title') }) }));

  let pipelines = [];
  try {
    pipelines = await loadPipelines(signal);
  } catch (err) {
    if (err.name === 'AbortError') return undefined;
    main.appendChild(unavailable(err));
    return undefined;
  }
  return view === 'board' ? opportunityBoard({ main, state, pipelines, signal }) : opportunityList({ main, query, pipelines, signal });
}

function opportunityList({ main, query, pipelines, signal }) {
  const STATUSES = ['open', 'won', 'lost', 'all'];
  const initialStatus = STATUSES.includes(query.status) ? query.status : 'open';
  const search = host.list.searchBox({ id: 'opp-search', value: query.q || '', placeholder: t('opps.search_placeholder'), label: t('opps.search') });
  const status = selectInput([{ value: 'all', label: t('opps.any_status') }, ...['open', 'won', 'lost'].map((s) => ({ value: s, label: tr('opp_status', s) }))], initialStatus, { id: 'opp-status-filter' });
  const pipe = selectInput([{ value: '', label: t('opps.all_pipelines') }, ...pipelines.map((p) => ({ value: p.id, label: localized(p.name) }))], /^\d+$/.test(query.pipeline_id || '') ? query.pipeline_id : '', { id: 'opp-pipeline-filter' });
  const chart = simpleChart({ label: t('opps.by_account'), height: 280, id: 'opp-account-chart' });
  const chartCard = h('section', { class: 'card chart-card', 'aria-labelledby': 'opp-chart-h', hidden: true },
    h('h2', { id: 'opp-chart-h', text: t('opps.by_account') }), chart.el);
  const summary = h('div', { class: 'summary-row', id: 'opp-summary', 'aria-live': 'polite' });
  const body = h('div', { id: 'opp-results' }, loadingState());
  main.append(
    h('div', { class: 'toolbar', role: 'search' },
      search.nodes,
      h('label', { for: 'opp-status-filter', class: 'sr-only', text: t('opps.fields.status') }), status,
      h('label', { for: 'opp-pipeline-filter', class: 'sr-only', text: t('opps.fields.pipeline') }), pipe),
    summary,
    amountHidden() ? null : chartCard,
    h('section', { class: 'card', 'aria-label': t('opps.title') }, body));

  const filterParams = (state) => ({ q: state.q, status: state.status === 'all' ? '' : state.status, pipeline_id: state.pipeline_id });
  const list = host.list.controller({
    body, signal, query,
    sort: { keys: ['name', 'amount', 'probability', 'expected_close_date', 'updated_at'], key: 'expected_close_date', order: 'asc' },
    filters: { status: { values: STATUSES, default: 'open' }, pipeline_id: { pattern: /^\d+$/ } },
    params: (state) => ({ ...filterParams(state), sort: state.sort, order: state.order, limit: state.limit, offset: state.offset }),
    // The page and, for the chart and the tiles, the 200 largest deals of the same filter.
    fetch: async (params, { signal: loadSignal }) => {
      const [data, top] = await Promise.all([
        api.get('/api/v1/sales/opportunities', { signal: loadSignal, query: params }),
        amountHidden() ? null : api.get('/api/v1/sales/opportunities', { signal: loadSignal, query: { ...filterParams(list.state), sort: 'amount', order: 'desc', limit: 200 } }),
      ]);
      return { ...data, top };
    },
    onData: (data) => {
      const top = data.top;
      if (!top) return;
      const all = top.items || [];
      // The chart card shows only when there is something to compare.
      chartCard.hidden = !all.some((o) => Number(o.amount) > 0);
      if (!chartCard.hidden) drawAccountChart(chart, all);
      const total = Number.isFinite(data.total) ? data.total : (data.items || []).length;
      const sum = all.reduce((acc, o) => acc + (Number(o.amount) || 0), 0);
      const weighted = all.reduce((acc, o) => acc + (Number(o.weighted_amount) || 0), 0);
      replace(summary,
        tile(formatNumber(total), t('opps.count'), 'neutral', 'opp-total-count'),
        tile(money(sum, 'CNY', true), t('opps.total_amount'), 'green', 'opp-total-amount', money(sum, 'CNY')),
        tile(money(weighted, 'CNY', true), t('opps.weighted_amount'), 'info', 'opp-weighted-amount', money(weighted, 'CNY')));
    },
    caption: t('opps.title'),
    empty: (state) => emptyState(state.q ? t('opps.no_match', { q: state.q }) : t('opps.none')),
    error: unavailable,
    columns: () => [
      { key: 'name', label: t('opps.fields.name'), sortable: true, header: true, render: (o) => h('a', { href: link(`/opportunities/${seg(o.id)}`), text: o.name || '—' }) },
      { key: 'account', label: t('opps.fields.account'), render: (o) => (o.account_id ? h('a', { href: `#/accounts/${seg(o.account_id)}`, class: 'account-link', text: o.account_name ?? `#${o.account_id}` }) : '—') },
      { key: 'stage', label: t('opps.fields.stage'), render: (o) => h('span', { class: 'stack' }, chip(stageName(o), STATUS_CHIP[o.status] || 'neutral'), h('span', { class: 'muted small', text: formatPercent((o.probability ?? 0) / 100) })) },
      amountHidden() ? null : { key: 'amount', label: t('opps.fields.amount'), sortable: true, align: 'end', render: (o) => h('span', { class: 'num', text: money(o.amount, o.currency) }) },
      amountHidden() ? null : { key: 'weighted_amount', label: t('opps.fields.weighted_amount'), align: 'end', render: (o) => h('span', { class: 'num muted', text: money(o.weighted_amount, o.currency) }) },
      { key: 'expected_close_date', label: t('opps.fields.expected_close_date'), sortable: true, render: (o) => closeDateCell(o) },
      { key: 'owner', label: t('fields.owner'), render: (o) => o.owner_name || '—' },
    ],
    onRowClick: (o) => go(`/opportunities/${o.id}`),
  });
  list.bindSearch(search.input);
  list.bindSelect(status, 'status');
  list.bindSelect(pipe, 'pipeline_id');
  list.load();
  return () => { list.dispose(); chart.dispose(); };
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
    legend: { top: 0, data: [t('opps.fields.amount'), t('opps.fields.weighted_amount')] },
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
          + tipRow(null, t('opps.count'), formatNumber(a.count));
      },
    },
    series: [
      { name: t('opps.fields.amount'), type: 'bar', data: top.map((a) => a.amount), barMaxWidth: 18, itemStyle: { borderRadius: [0, 3, 3, 0] } },
      { name: t('opps.fields.weighted_amount'), type: 'bar', data: top.map((a) => a.weighted), barMaxWidth: 18, itemStyle: { borderRadius: [0, 3, 3, 0] } },
    ],
  }, (params) => { const a = top[params.dataIndex]; if (a && a.id) navigate(`/accounts/${a.id}`); });
  return true;
}

