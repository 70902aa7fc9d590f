// Dashboard widgets. Each widget type of the reporting contract renders either as an ECharts
// chart (line, bar, stacked_bar, pie, donut, funnel, gauge, heatmap, scatter) or as DOM (kpi,
// table, leaderboard). Text from data reaches the page only as text nodes, canvas text, or —
// for ECharts tooltips, which are HTML — through escapeHtml(). Tooltip markup uses classes,
// never inline styles, so it works under `style-src 'self'`.

import { h, icon, escapeHtml, replace, clear, toCsv, download, slug } from '../dom.js';
import {
  t, getLocale, localized, formatByUnit, formatNumber, formatPercent, formatPeriod, formatCell, formatSigned,
} from '../i18n.js';

export const PALETTE = ['#2f6fed', '#14a38b', '#f0a020', '#e5484d', '#8e4ec6', '#0ea5e9', '#65a30d', '#f97316', '#64748b', '#db2777'];
export const CHART_TYPES = new Set(['line', 'bar', 'stacked_bar', 'pie', 'donut', 'funnel', 'gauge', 'heatmap', 'scatter']);
export const WIDGET_TYPES = new Set([...CHART_TYPES, 'kpi', 'table', 'leaderboard']);
const FONT = 'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

// ---- ECharts loading and theme --------------------------------------------------------------

let themeReady = false;
/** Resolves to the ECharts global once /vendor/echarts.min.js has run (rejects after 10 s). */
export function echartsReady() {
  if (window.echarts) return Promise.resolve(registerTheme(window.echarts));
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (window.echarts) resolve(registerTheme(window.echarts));
      else if (Date.now() - started > 10000) reject(new Error(t('dashboards.charts_unavailable')));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

function registerTheme(echarts) {
  if (!themeReady) {
    echarts.registerTheme('atrium', {
      color: PALETTE,
      backgroundColor: 'transparent',
      textStyle: { fontFamily: FONT, color: '#334155' },
      title: { textStyle: { color: '#0f172a' } },
      legend: { textStyle: { color: '#475569' } },
      categoryAxis: { axisLine: { lineStyle: { color: '#cbd5e1' } }, axisTick: { show: false }, axisLabel: { color: '#64748b' }, splitLine: { show: false } },
      valueAxis: { axisLine: { show: false }, axisLabel: { color: '#64748b' }, splitLine: { lineStyle: { color: '#e2e8f0' } } },
    });
    themeReady = true;
  }
  return echarts;
}

// ---- formatting helpers -----------------------------------------------------------------------

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : (v === null || v === undefined || v === '' ? null : (Number.isFinite(Number(v)) ? Number(v) : null)));

function unitOf(def, data) {
  return { unit: (data && data.unit) || def.unit || null, currency: (data && data.currency) || def.currency || 'CNY' };
}
const fmtValue = (u) => (v) => formatByUnit(v, u.unit, { currency: u.currency });
const fmtAxis = (u) => (v) => formatByUnit(v, u.unit, { currency: u.currency, compact: true });

function marker(index) {
  return `<span class="tt-marker tt-c${index % PALETTE.length}"></span>`;
}
function tipHead(text) { return `<div class="tt-head">${escapeHtml(text)}</div>`; }
function tipRow(mark, name, value) {
  return `<div class="tt-row">${mark || ''}<span class="tt-name">${escapeHtml(name)}</span><span class="tt-val">${escapeHtml(value)}</span></div>`;
}

function baseOption() {
  return {
    animationDuration: 400,
    aria: { enabled: true, decal: { show: false } },
    tooltip: { confine: true, className: 'chart-tooltip', renderMode: 'html', borderWidth: 0, padding: 0, extraCssText: '' },
    textStyle: { fontFamily: FONT },
  };
}

function legend(names) {
  return names.length > 1 ? { type: 'scroll', top: 0, left: 'center', data: names.map(String) } : { show: false };
}

// ---- empty detection --------------------------------------------------------------------------

export function isEmpty(type, data) {
  if (!data) return true;
  switch (type) {
    case 'kpi': return num(data.value) === null;
    case 'line': case 'bar': case 'stacked_bar':
      return !Array.isArray(data.categories) || !data.categories.length || !Array.isArray(data.series)
        || !data.series.some((s) => Array.isArray(s.values) && s.values.some((v) => num(v) !== null));
    case 'pie': case 'donut': case 'funnel':
      return !Array.isArray(data.items) || !data.items.some((i) => num(i.value));
    case 'gauge': return num(data.value) === null;
    case 'table': case 'leaderboard': return !Array.isArray(data.rows) || !data.rows.length;
    case 'heatmap': return !Array.isArray(data.values) || !data.values.length;
    case 'scatter': return !Array.isArray(data.series) || !data.series.some((s) => Array.isArray(s.points) && s.points.length);
    default: return true;
  }
}

// ---- option builders (one per chart type) -------------------------------------------------------

function cartesianOption(def, data, { stacked = false, horizontal = false, area = false, kind = 'bar' } = {}) {
  const u = unitOf(def, data);
  const categories = data.categories.map((c) => String(c ?? ''));
  const series = data.series.map((s, i) => ({
    name: String(s.name ?? ''),
    type: kind,
    data: (s.values || []).map(num),
    stack: stacked ? 'total' : undefined,
    smooth: kind === 'line' ? 0.3 : undefined,
    showSymbol: kind === 'line' ? categories.length <= 24 : undefined,
    symbolSize: 6,
    areaStyle: kind === 'line' && area && data.series.length === 1 ? { opacity: 0.12 } : undefined,
    barMaxWidth: 36,
    emphasis: { focus: 'series' },
    itemStyle: kind === 'bar' && !stacked ? { borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] } : undefined,
    colorBy: 'series',
    z: i,
  }));
  const catAxis = {
    type: 'category', data: categories,
    axisLabel: { formatter: (v) => formatPeriod(v), hideOverlap: true, overflow: 'truncate', width: horizontal ? 120 : 88, interval: categories.length <= 12 ? 0 : 'auto' },
    boundaryGap: kind !== 'line',
  };
  const valAxis = { type: 'value', axisLabel: { formatter: fmtAxis(u) } };
  const showLegend = series.length > 1;
  return {
    ...baseOption(),
    legend: legend(series.map((s) => s.name)),
    // A line's last category label is centred on the right edge: leave room for half of it.
    grid: { left: 8, right: kind === 'line' && !horizontal ? 36 : 16, top: showLegend ? 36 : 16, bottom: 8, containLabel: true },
    xAxis: horizontal ? valAxis : catAxis,
    yAxis: horizontal ? { ...catAxis, inverse: true } : valAxis,
    tooltip: {
      ...baseOption().tooltip,
      trigger: 'axis',
      axisPointer: { type: kind === 'line' ? 'line' : 'shadow' },
      formatter: (params) => {
        const list = Array.isArray(params) ? params : [params];
        if (!list.length) return '';
        const f = fmtValue(u);
        let html = tipHead(formatPeriod(list[0].name));
        for (const p of list) html += tipRow(marker(p.seriesIndex), p.seriesName, f(p.value));
        if (stacked && list.length > 1) {
          const total = list.reduce((a, p) => a + (num(p.value) || 0), 0);
          html += tipRow('', t('charts.total'), f(total));
        }
        return html;
      },
    },
    series,
  };
}

function pieOption(def, data, donut) {
  const u = unitOf(def, data);
  const f = fmtValue(u);
  const items = data.items.map((i) => ({ name: String(i.name ?? ''), value: num(i.value) }));
  const total = items.reduce((a, i) => a + (i.value || 0), 0);
  const option = {
    ...baseOption(),
    legend: { type: 'scroll', orient: 'horizontal', bottom: 0, left: 'center' },
    tooltip: {
      ...baseOption().tooltip,
      trigger: 'item',
      formatter: (p) => tipHead(p.name) + tipRow(marker(p.dataIndex), t('charts.value'), f(p.value)) + tipRow('', t('charts.share'), formatPercent((p.percent || 0) / 100)),
    },
    series: [{
      type: 'pie',
      radius: donut ? ['48%', '72%'] : [0, '72%'],
      center: ['50%', '46%'],
      avoidLabelOverlap: true,
      itemStyle: { borderColor: '#fff', borderWidth: 2 },
      label: { formatter: (p) => `${p.name}\n${formatPercent((p.percent || 0) / 100)}`, overflow: 'truncate', width: 90, alignTo: 'edge', edgeDistance: 8 },
      labelLayout: { hideOverlap: true },
      labelLine: { length: 8, length2: 8 },
      data: items,
    }],
  };
  if (donut) {
    option.graphic = [{
      type: 'text', left: 'center', top: '41%',
      style: { text: `${formatByUnit(total, u.unit, { currency: u.currency, compact: true })}\n${t('charts.total')}`, fontSize: 15, fontWeight: 600, fill: '#0f172a', align: 'center', fontFamily: FONT, lineHeight: 20 },
    }];
  }
  return option;
}

function funnelOption(def, data) {
  const u = unitOf(def, data);
  const f = fmtValue(u);
  const items = data.items.map((i) => ({ name: String(i.name ?? ''), value: num(i.value) || 0 }));
  const first = items.length ? items[0].value : 0;
  return {
    ...baseOption(),
    legend: { show: false },
    tooltip: {
      ...baseOption().tooltip,
      trigger: 'item',
      formatter: (p) => {
        let html = tipHead(p.name) + tipRow(marker(p.dataIndex), t('charts.value'), f(p.value));
        if (first) html += tipRow('', t('charts.of_first'), formatPercent(p.value / first));
        const prev = p.dataIndex > 0 ? items[p.dataIndex - 1].value : 0;
        if (prev) html += tipRow('', t('charts.conversion'), formatPercent(p.value / prev));
        return html;
      },
    },
    series: [{
      type: 'funnel', left: '8%', right: '8%', top: 8, bottom: 8, minSize: '12%', gap: 2, sort: 'none',
      label: { position: 'inside', color: '#fff', formatter: (p) => `${p.name}  ${formatByUnit(p.value, u.unit, { currency: u.currency, compact: true })}`, overflow: 'truncate' },
      itemStyle: { borderColor: '#fff', borderWidth: 1 },
      data: items,
    }],
  };
}

function gaugeOption(def, data) {
  const u = unitOf(def, data);
  const max = num(data.max) || (u.unit === 'percent' ? 1 : Math.max(1, (num(data.value) || 0) * 1.25));
  const value = num(data.value) || 0;
  return {
    ...baseOption(),
    tooltip: { ...baseOption().tooltip, trigger: 'item', formatter: () => tipRow('', localized(def.title) || t('charts.value'), `${fmtValue(u)(value)} / ${fmtValue(u)(max)}`) },
    series: [{
      type: 'gauge', min: 0, max, startAngle: 210, endAngle: -30, radius: '92%', center: ['50%', '58%'],
      progress: { show: true, width: 14, roundCap: true },
      axisLine: { lineStyle: { width: 14, color: [[1, '#e2e8f0']] }, roundCap: true },
      axisTick: { show: false }, splitLine: { show: false },
      axisLabel: { show: true, distance: 18, color: '#94a3b8', fontSize: 10, formatter: (v) => (v === 0 || v === max ? fmtAxis(u)(v) : '') },
      pointer: { show: false },
      anchor: { show: false },
      title: { show: false },
      detail: { valueAnimation: true, offsetCenter: [0, '5%'], fontSize: 24, fontWeight: 600, color: '#0f172a', formatter: (v) => fmtAxis(u)(v) },
      data: [{ value, name: localized(def.title) }],
    }],
  };
}

function heatmapOption(def, data) {
  const u = unitOf(def, data);
  const f = fmtValue(u);
  const xs = (data.x || []).map((v) => String(v ?? ''));
  const ys = (data.y || []).map((v) => String(v ?? ''));
  const values = data.values.map((v) => [num(v[0]), num(v[1]), num(v[2])]);
  const nums = values.map((v) => v[2]).filter((v) => v !== null);
  const min = nums.length ? Math.min(...nums) : 0;
  const max = nums.length ? Math.max(...nums) : 1;
  return {
    ...baseOption(),
    grid: { left: 8, right: 16, top: 8, bottom: 64, containLabel: true },
    xAxis: { type: 'category', data: xs, splitArea: { show: true }, axisLabel: { formatter: (v) => formatPeriod(v), hideOverlap: true } },
    yAxis: { type: 'category', data: ys, splitArea: { show: true }, axisLabel: { overflow: 'truncate', width: 110 } },
    visualMap: {
      min, max: max === min ? min + 1 : max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120,
      inRange: { color: ['#eef4ff', '#8fb0f7', '#2f6fed', '#1a3f94'] },
      formatter: (v) => fmtAxis(u)(v),
    },
    tooltip: {
      ...baseOption().tooltip,
      trigger: 'item',
      formatter: (p) => {
        const [xi, yi, v] = p.value || [];
        return tipHead(`${ys[yi] ?? ''} · ${formatPeriod(xs[xi] ?? '')}`) + tipRow('', t('charts.value'), f(v));
      },
    },
    series: [{ type: 'heatmap', data: values, label: { show: xs.length * ys.length <= 60, formatter: (p) => fmtAxis(u)(p.value[2]), fontSize: 10 }, emphasis: { itemStyle: { borderColor: '#0f172a', borderWidth: 1 } } }],
  };
}

function scatterOption(def, data) {
  const xu = { unit: data.x_unit || def.x_unit || null, currency: data.currency || def.currency || 'CNY' };
  const yu = { unit: data.y_unit || def.y_unit || data.unit || def.unit || null, currency: data.currency || def.currency || 'CNY' };
  const series = data.series.map((s) => ({
    name: String(s.name ?? ''), type: 'scatter', symbolSize: 9, emphasis: { focus: 'series' },
    data: (s.points || []).map((p) => [num(p[0]), num(p[1]), p[2] === undefined ? undefined : String(p[2])]),
  }));
  const xLabel = localized(data.x_label || def.x_label) || '';
  const yLabel = localized(data.y_label || def.y_label) || '';
  return {
    ...baseOption(),
    legend: legend(series.map((s) => s.name)),
    grid: { left: 8, right: 24, top: series.length > 1 ? 36 : 24, bottom: xLabel ? 28 : 8, containLabel: true },
    xAxis: { type: 'value', scale: true, name: xLabel, nameLocation: 'middle', nameGap: 26, axisLabel: { formatter: fmtAxis(xu) }, splitLine: { lineStyle: { color: '#eef2f7' } } },
    yAxis: { type: 'value', scale: true, name: yLabel, axisLabel: { formatter: fmtAxis(yu) } },
    tooltip: {
      ...baseOption().tooltip,
      trigger: 'item',
      formatter: (p) => {
        const [x, y, label] = p.value || [];
        return tipHead(label || p.seriesName) + (label ? tipRow(marker(p.seriesIndex), t('charts.series'), p.seriesName) : '')
          + tipRow('', xLabel || 'x', fmtValue(xu)(x)) + tipRow('', yLabel || 'y', fmtValue(yu)(y));
      },
    },
    series,
  };
}

function sparklineOption(series, u) {
  const f = fmtValue(u);
  return {
    animation: false,
    aria: { enabled: false },
    grid: { left: 2, right: 2, top: 4, bottom: 2 },
    xAxis: { type: 'category', show: false, data: series.map((p) => String(p.period ?? '')), boundaryGap: false },
    yAxis: { type: 'value', show: false, scale: true },
    tooltip: {
      trigger: 'axis', confine: true, className: 'chart-tooltip', borderWidth: 0, padding: 0,
      axisPointer: { type: 'line', lineStyle: { color: '#94a3b8' } },
      formatter: (params) => {
        const p = Array.isArray(params) ? params[0] : params;
        return p ? tipHead(formatPeriod(p.name)) + tipRow('', t('charts.value'), f(p.value)) : '';
      },
    },
    series: [{ type: 'line', data: series.map((p) => num(p.value)), smooth: 0.3, showSymbol: false, lineStyle: { width: 2, color: PALETTE[0] }, areaStyle: { color: PALETTE[0], opacity: 0.1 } }],
  };
}

export function buildOption(def, type, data) {
  switch (type) {
    case 'line': return cartesianOption(def, data, { kind: 'line', area: true });
    case 'bar': return cartesianOption(def, data, { kind: 'bar', horizontal: def.orientation === 'horizontal' });
    case 'stacked_bar': return cartesianOption(def, data, { kind: 'bar', stacked: true, horizontal: def.orientation === 'horizontal' });
    case 'pie': return pieOption(def, data, false);
    case 'donut': return pieOption(def, data, true);
    case 'funnel': return funnelOption(def, data);
    case 'gauge': return gaugeOption(def, data);
    case 'heatmap': return heatmapOption(def, data);
    case 'scatter': return scatterOption(def, data);
    default: throw new Error(`unsupported chart type ${type}`);
  }
}

// ---- drill-down points ----------------------------------------------------------------------

/** Maps an ECharts click to the contract's drill point {category, series}; null if not drillable. */
export function drillPoint(type, data, params) {
  switch (type) {
    case 'line': case 'bar': case 'stacked_bar':
      return { category: data.categories[params.dataIndex], series: params.seriesName ?? null };
    case 'pie': case 'donut': case 'funnel':
      return { category: data.items[params.dataIndex] ? data.items[params.dataIndex].name : params.name, series: null };
    case 'heatmap': {
      const [xi, yi] = params.value || [];
      return { category: (data.x || [])[xi] ?? null, series: (data.y || [])[yi] ?? null };
    }
    case 'scatter': {
      const s = data.series[params.seriesIndex];
      const p = s && s.points ? s.points[params.dataIndex] : null;
      return { category: p && p[2] !== undefined ? p[2] : null, series: s ? s.name : null, value: p ? [p[0], p[1]] : null };
    }
    default: return null;
  }
}

// ---- cross-filter keys -------------------------------------------------------------------------

/**
 * The cross-filter a mark stands for: {field, value, label, fieldLabel}, or null. The render data
 * names the field (`key_field`, the widget's first group column) and the raw key of each
 * category / item / row (`keys`, `items[].key`): labels may be looked-up names, keys are values.
 */
export function markKey(type, data, index) {
  if (!data || !data.key_field || !Number.isInteger(index) || index < 0) return null;
  let value; let label;
  switch (type) {
    case 'line': case 'bar': case 'stacked_bar':
      value = (data.keys || [])[index]; label = (data.categories || [])[index]; break;
    case 'pie': case 'donut': case 'funnel': {
      const item = (data.items || [])[index];
      value = item ? item.key : undefined; label = item ? item.name : undefined; break;
    }
    case 'table': case 'leaderboard': {
      value = (data.keys || [])[index];
      const row = (data.rows || [])[index] || [];
      label = row[type === 'leaderboard' ? 1 : 0]; break;
    }
    default: return null;
  }
  if (value === null || value === undefined || typeof value === 'object') return null;
  return { field: String(data.key_field), value, label: String(label ?? value), fieldLabel: localized(data.key_label) || String(data.key_field) };
}

// ---- tabular form of any widget's data (view-as-table, CSV) ------------------------------------

/** {columns:[{label,type}], rows:[[…]], points?:[drill point per row]} for any widget data. */
export function tabular(def, type, data) {
  const u = unitOf(def, data);
  const vt = u.unit === 'currency' ? 'currency' : u.unit === 'percent' ? 'percent' : u.unit === 'days' ? 'days' : 'number';
  switch (type) {
    case 'kpi': {
      const series = Array.isArray(data.series) ? data.series : [];
      if (series.length) return { columns: [{ label: t('charts.period'), type: 'period' }, { label: t('charts.value'), type: vt }], rows: series.map((p) => [p.period, p.value]) };
      return { columns: [{ label: t('charts.value'), type: vt }, { label: t('kpi.previous'), type: vt }], rows: [[data.value, data.previous]] };
    }
    case 'line': case 'bar': case 'stacked_bar':
      return {
        columns: [{ label: t('charts.category'), type: 'period' }, ...data.series.map((s) => ({ label: String(s.name ?? ''), type: vt }))],
        rows: data.categories.map((c, i) => [c, ...data.series.map((s) => (s.values || [])[i] ?? null)]),
        points: data.categories.map((c) => ({ category: c, series: null })),
      };
    case 'pie': case 'donut': case 'funnel':
      return { columns: [{ label: t('charts.name'), type: 'text' }, { label: t('charts.value'), type: vt }], rows: data.items.map((i) => [i.name, i.value]), points: data.items.map((i) => ({ category: i.name, series: null })) };
    case 'gauge':
      return { columns: [{ label: t('charts.value'), type: vt }, { label: t('charts.max'), type: vt }], rows: [[data.value, data.max]] };
    case 'table': case 'leaderboard':
      return { columns: (data.columns || []).map((c) => ({ label: localized(c.label) || c.name, type: c.type })), rows: data.rows };
    case 'heatmap':
      return {
        columns: [{ label: t('charts.x'), type: 'period' }, { label: t('charts.y'), type: 'text' }, { label: t('charts.value'), type: vt }],
        rows: data.values.map((v) => [(data.x || [])[v[0]], (data.y || [])[v[1]], v[2]]),
        points: data.values.map((v) => ({ category: (data.x || [])[v[0]] ?? null, series: (data.y || [])[v[1]] ?? null })),
      };
    case 'scatter': {
      const rows = [];
      for (const s of data.series) for (const p of s.points || []) rows.push([s.name, p[2] ?? '', p[0], p[1]]);
      return { columns: [{ label: t('charts.series'), type: 'text' }, { label: t('charts.name'), type: 'text' }, { label: t('charts.x'), type: 'number' }, { label: t('charts.y'), type: 'number' }], rows };
    }
    default: return { columns: [], rows: [] };
  }
}

// ---- DOM widgets ------------------------------------------------------------------------------

function kpiDom(def, data, sparkHost) {
  const u = unitOf(def, data);
  const value = num(data.value);
  const previous = num(data.previous);
  let delta = num(data.delta);
  if (delta === null && value !== null && previous !== null) delta = value - previous;
  let deltaPct = num(data.delta_pct);
  if (deltaPct === null && delta !== null && previous) deltaPct = delta / Math.abs(previous);
  const lowerIsBetter = data.direction === 'lower_is_better';
  const dir = delta === null || delta === 0 ? 'flat' : delta > 0 ? 'up' : 'down';
  const good = dir === 'flat' ? 'neutral' : (dir === 'up') !== lowerIsBetter ? 'good' : 'bad';
  const status = ['green', 'amber', 'red'].includes(data.status) ? data.status : null;

  const deltaParts = [];
  if (deltaPct !== null) deltaParts.push(formatPercent(deltaPct, { signed: true }));
  if (delta !== null) {
    const abs = u.unit === 'percent' ? `${formatSigned(delta * 100)} ${t('kpi.pp')}` : (delta > 0 ? '+' : '') + formatByUnit(delta, u.unit, { currency: u.currency, compact: true });
    deltaParts.push(deltaPct !== null ? `(${abs})` : abs);
  }
  return h('div', { class: 'kpi' },
    h('div', { class: 'kpi-main' },
      h('span', { class: 'kpi-value', title: formatByUnit(value, u.unit, { currency: u.currency }), text: formatByUnit(value, u.unit, { currency: u.currency, compact: true }) }),
      status ? h('span', { class: `chip chip-${status}`, text: t(`kpi.status.${status}`) }) : null),
    delta !== null || deltaPct !== null
      ? h('div', { class: `kpi-delta kpi-${good}`, dataset: { direction: dir, judgement: good } },
        icon(dir === 'flat' ? 'flat' : dir, 'kpi-arrow'),
        h('span', { class: 'sr-only', text: `${t(`kpi.${dir}`)}, ${t(`kpi.judgement.${good}`)}: ` }),
        h('span', { class: 'kpi-delta-value', text: deltaParts.join(' ') }),
        previous !== null ? h('span', { class: 'kpi-prev muted', text: t('kpi.vs_previous', { value: formatByUnit(previous, u.unit, { currency: u.currency, compact: true }) }) }) : null)
      : h('div', { class: 'kpi-delta kpi-neutral muted', text: t('kpi.no_comparison') }),
    sparkHost);
}

function tableDom(def, data, { onSelectRow } = {}) {
  const cols = (data.columns || []).map((c, i) => ({ ...c, index: i, label: localized(c.label) || c.name }));
  const state = { key: null, order: 'asc' };
  const wrap = h('div', { class: 'widget-table' });
  const draw = () => {
    let rows = data.rows.slice();
    if (state.key !== null) {
      const i = Number(state.key);
      rows.sort((a, b) => {
        const x = a[i]; const y = b[i];
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''), getLocale());
        return state.order === 'asc' ? c : -c;
      });
    }
    const table = h('table', { class: 'table table-compact' },
      h('caption', { class: 'sr-only', text: localized(def.title) }),
      h('thead', null, h('tr', null, cols.map((c) => {
        const active = state.key === String(c.index);
        const btn = h('button', { type: 'button', class: 'sort-btn' }, c.label, h('span', { class: `sort-ind ${active ? state.order : ''}`, 'aria-hidden': 'true' }));
        btn.addEventListener('click', () => {
          state.order = active && state.order === 'asc' ? 'desc' : 'asc';
          state.key = String(c.index);
          draw();
        });
        return h('th', { scope: 'col', class: isNumeric(c.type) ? 'align-end' : '', 'aria-sort': active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none' }, btn);
      }))),
      h('tbody', null, rows.map((r) => h('tr', null, cols.map((c, ci) => {
        let content = formatCell(r[c.index], c.type, data.currency);
        // The row's dimension value cross-filters the dashboard (data.keys follow data.rows).
        const key = ci === 0 && onSelectRow ? markKey('table', data, data.rows.indexOf(r)) : null;
        if (key) {
          const b = h('button', { type: 'button', class: 'link-btn mark-btn', text: String(content) });
          b.addEventListener('click', (ev) => onSelectRow(key, ev, b));
          content = b;
        }
        return h(ci === 0 ? 'th' : 'td', { scope: ci === 0 ? 'row' : null, class: isNumeric(c.type) ? 'align-end num' : '' }, content);
      })))));
    replace(wrap, table);
  };
  draw();
  return wrap;
}

function isNumeric(type) {
  return ['number', 'integer', 'count', 'decimal', 'currency', 'money', 'percent', 'days'].includes(type);
}

function leaderboardDom(def, data, { onSelectRow } = {}) {
  const all = (data.columns || []).map((c, i) => ({ ...c, index: i, label: localized(c.label) || c.name }));
  // The server ranks the rows (ties share a rank) and says which columns are measures: the rank
  // and a numeric id dimension are never taken for the value.
  const rankCol = all.find((c) => c.role === 'rank' || (!c.role && c.name === 'rank' && c.index === 0));
  const cols = all.filter((c) => c !== rankCol);
  const valueCol = cols.find((c) => c.role === 'measure') || cols.find((c) => isNumeric(c.type) && c.role !== 'dimension') || cols[cols.length - 1];
  const nameCol = cols.find((c) => c.role === 'dimension') || cols.find((c) => !isNumeric(c.type) && c !== valueCol) || cols[0];
  const extra = cols.filter((c) => c !== valueCol && c !== nameCol);
  // Highest first; the server's order (ties by name) stands among equal values.
  const rows = data.rows.map((r, i) => Object.assign(r.slice(), { source: i })).sort((a, b) => (num(b[valueCol.index]) || 0) - (num(a[valueCol.index]) || 0));
  const max = Math.max(0, ...rows.map((r) => num(r[valueCol.index]) || 0)) || 1;
  let lastValue = null;
  let lastRank = 0;
  return h('ol', { class: 'leaderboard', 'aria-label': localized(def.title) }, rows.map((r, i) => {
    const v = num(r[valueCol.index]) || 0;
    const rank = i > 0 && v === lastValue ? lastRank : i + 1;
    lastValue = v;
    lastRank = rank;
    const bar = h('span', { class: 'lb-bar-fill' });
    bar.style.width = `${Math.max(0, Math.min(100, (v / max) * 100))}%`;
    return h('li', { class: 'lb-row', dataset: { value: String(v) } },
      h('span', { class: `lb-rank${rank <= 3 ? ` lb-top lb-top-${rank}` : ''}`, text: formatNumber(rank) }),
      h('span', { class: 'lb-main' },
        leaderName(r, nameCol, onSelectRow ? markKey('leaderboard', data, r.source) : null, onSelectRow),
        extra.length ? h('span', { class: 'lb-extra muted small', text: extra.map((c) => `${c.label}: ${formatCell(r[c.index], c.type, data.currency)}`).join(' · ') }) : null,
        h('span', { class: 'lb-bar', 'aria-hidden': 'true' }, bar)),
      h('span', { class: 'lb-value num', text: formatCell(r[valueCol.index], valueCol.type, data.currency) }));
  }));
}

function leaderName(r, nameCol, key, onSelectRow) {
  const text = String(r[nameCol.index] ?? '—');
  if (!key) return h('span', { class: 'lb-name', text });
  const b = h('button', { type: 'button', class: 'lb-name link-btn mark-btn', text });
  b.addEventListener('click', (ev) => onSelectRow(key, ev, b));
  return b;
}

// ---- the widget card ----------------------------------------------------------------------------

/**
 * Creates a widget card for a dashboard definition entry. Callbacks:
 *   onDrill(def, point, label) — a chart mark (or a row of the data view) was activated;
 *   onShowData(def, tabular)   — "view as table" requested;
 *   onSelect(def, point, key, anchor) — when given, a chart mark or a table / leaderboard row
 *     was activated; `key` is its cross-filter ({field, value, label, fieldLabel}) or null, and
 *     `anchor` ({x, y} in viewport pixels) is where to open a menu. Without it, marks drill.
 */
export function createWidget(def, { onDrill, onShowData, onSelect } = {}) {
  const type = WIDGET_TYPES.has(def.type) ? def.type : 'unknown';
  const title = localized(def.title) || t('dashboards.untitled_widget');
  const titleId = `w-${slug(String(def.id))}-title`;
  const isChart = CHART_TYPES.has(type);
  const drillable = def.drillable !== false && (isChart || type === 'kpi');

  const chartEl = h('div', { class: 'widget-chart', role: 'img', 'aria-label': title });
  const content = h('div', { class: 'widget-content' });
  const overlay = h('div', { class: 'widget-overlay', hidden: true }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { class: 'sr-only', text: t('common.loading') }));
  const body = h('div', { class: 'widget-body' }, content, overlay);

  const ICON = { png: 'image', csv: 'download', data: 'table', records: 'list' };
  const btn = (name, label, onClick) => {
    const b = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `${label}: ${title}`, title: label, disabled: true, dataset: { action: name } }, icon(ICON[name] || 'more'));
    b.addEventListener('click', onClick);
    return b;
  };
  const actions = [];
  if (type === 'kpi' && drillable && onDrill) actions.push(btn('records', t('dashboards.view_records'), () => onDrill(def, { category: null, series: null })));
  const dataBtn = btn('data', t('dashboards.view_data'), () => { if (current) onShowData && onShowData(def, tabular(def, type, current), drillable && isChart ? (point) => onDrill(def, point) : null); });
  const pngBtn = isChart ? btn('png', t('dashboards.export_png'), () => exportPng()) : null;
  const csvBtn = btn('csv', t('dashboards.export_csv'), () => exportCsv());
  actions.push(dataBtn, pngBtn, csvBtn);

  const el = h('article', { class: `widget widget-${type}`, 'aria-labelledby': titleId, dataset: { widgetId: String(def.id), type, state: 'loading' } },
    h('header', { class: 'widget-header' },
      h('h2', { class: 'widget-title', id: titleId, text: title }),
      h('div', { class: 'widget-actions' }, actions)),
    body);
  layout(el, def);

  let chart = null;
  let spark = null;
  let observer = null;
  let current = null;
  let frame = 0;

  const setActionsEnabled = (on) => { for (const a of actions) if (a) a.disabled = !on; };
  const ensureObserver = () => {
    if (observer) return;
    observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => { if (chart) chart.resize(); if (spark) spark.resize(); });
    });
    observer.observe(body);
  };
  const disposeCharts = () => {
    if (chart) { chart.dispose(); chart = null; }
    if (spark) { spark.dispose(); spark = null; }
  };
  const initChart = (echarts, host) => echarts.init(host, 'atrium', { renderer: 'canvas', locale: getLocale() === 'zh-CN' ? 'ZH' : 'EN' });

  function setLoading(on) {
    overlay.hidden = !on;
    el.setAttribute('aria-busy', on ? 'true' : 'false');
    if (on && !current) el.dataset.state = 'loading';
  }

  function setMessage(kind, text, hint) {
    disposeCharts();
    current = null;
    setActionsEnabled(false);
    el.dataset.state = kind;
    replace(content, h('div', { class: `state state-${kind} state-inline`, role: kind === 'error' ? 'alert' : null },
      h('p', { class: 'state-title', text }), hint ? h('p', { class: 'state-hint', text: hint }) : null));
  }

  async function setData(payload) {
    setLoading(false);
    if (!payload) { setMessage('empty', t('dashboards.no_data')); return; }
    if (payload.error) { setMessage('error', t('dashboards.widget_failed'), payload.error.message || ''); return; }
    const data = payload.data;
    const actualType = WIDGET_TYPES.has(payload.type) ? payload.type : type;
    if (actualType === 'unknown') { setMessage('error', t('dashboards.unsupported', { type: String(def.type) })); return; }
    if (isEmpty(actualType, data)) { setMessage('empty', t('dashboards.no_data'), t('dashboards.no_data_hint')); return; }
    current = data;
    try {
      if (CHART_TYPES.has(actualType)) {
        const echarts = await echartsReady();
        if (!chart || !content.contains(chartEl)) {
          disposeCharts();
          replace(content, chartEl);
          chart = initChart(echarts, chartEl);
          // Set once drawing and its animation are done: marks are clickable where they are shown.
          chart.on('finished', () => { chartEl.dataset.rendered = 'true'; });
          chart.on('click', (params) => {
            if (!current) return;
            const point = drillable ? drillPoint(actualType, current, params) : null;
            if (onSelect) {
              const key = markKey(actualType, current, params.dataIndex);
              const ev = params.event && params.event.event;
              const box = chartEl.getBoundingClientRect();
              const anchor = ev && Number.isFinite(ev.clientX) ? { x: ev.clientX, y: ev.clientY } : { x: box.left + box.width / 2, y: box.top + box.height / 2 };
              if (key || point) onSelect(def, point, key, anchor);
              return;
            }
            if (point && onDrill) onDrill(def, point);
          });
        }
        chartEl.dataset.rendered = 'false';
        chart.setOption(buildOption(def, actualType, data), { notMerge: true });
        chartEl.setAttribute('aria-label', `${title}. ${t('dashboards.chart_hint')}`);
      } else if (actualType === 'kpi') {
        disposeCharts();
        const series = Array.isArray(data.series) ? data.series.filter((p) => num(p.value) !== null) : [];
        const sparkHost = series.length > 1 ? h('div', { class: 'kpi-spark', 'aria-hidden': 'true' }) : null;
        const card = kpiDom(def, data, sparkHost);
        replace(content, card);
        if (sparkHost) {
          const echarts = await echartsReady();
          spark = initChart(echarts, sparkHost);
          spark.setOption(sparklineOption(series, unitOf(def, data)));
        }
      } else if (actualType === 'table' || actualType === 'leaderboard') {
        disposeCharts();
        const onSelectRow = onSelect ? (key, ev, b) => {
          const box = b.getBoundingClientRect();
          onSelect(def, def.drillable === false ? null : { category: key.label, series: null }, key, { x: box.left + 8, y: box.bottom });
        } : null;
        replace(content, actualType === 'table' ? tableDom(def, data, { onSelectRow }) : leaderboardDom(def, data, { onSelectRow }));
      }
      el.dataset.state = 'ready';
      setActionsEnabled(true);
      ensureObserver();
    } catch (err) {
      console.error('widget render', def.id, err);
      setMessage('error', t('dashboards.widget_failed'), err.message);
    }
  }

  function setError(err) {
    setLoading(false);
    setMessage('error', t('dashboards.widget_failed'), (err && err.message) || '');
  }

  function fileName(ext) { return `${slug(title)}.${ext}`; }

  function exportPng() {
    if (!chart) return;
    download(fileName('png'), chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }));
  }

  function exportCsv() {
    if (!current) return;
    const tab = tabular(def, type, current);
    download(fileName('csv'), new Blob([toCsv(tab.columns.map((c) => c.label), tab.rows)], { type: 'text/csv;charset=utf-8' }));
  }

  function dispose() {
    cancelAnimationFrame(frame);
    if (observer) observer.disconnect();
    observer = null;
    disposeCharts();
  }

  setLoading(true);
  replace(content, h('div', { class: 'skeleton', 'aria-hidden': 'true' }));
  return { el, def, setLoading, setData, setError, dispose, exportPng, exportCsv, get chart() { return chart; } };
}

/** Places the card on the 12-column grid (CSS custom properties; phones stack the cards). */
export function layout(el, def) {
  const clamp = (v, lo, hi, d) => { const n = Number(v); return Number.isFinite(n) ? Math.max(lo, Math.min(hi, Math.round(n))) : d; };
  const w = clamp(def.w, 1, 12, def.type === 'kpi' ? 3 : 6);
  const x = clamp(def.x, 0, 12 - w, 0);
  const hgt = clamp(def.h, 1, 24, def.type === 'kpi' ? 2 : 4);
  el.style.setProperty('--col', `${x + 1} / span ${w}`);
  el.style.setProperty('--row', Number.isFinite(Number(def.y)) ? `${clamp(def.y, 0, 1000, 0) + 1} / span ${hgt}` : `auto / span ${hgt}`);
  el.style.setProperty('--h', String(hgt));
  el.dataset.grid = `${x},${Number.isFinite(Number(def.y)) ? clamp(def.y, 0, 1000, 0) : ''},${w},${hgt}`;
}

export { clear };
