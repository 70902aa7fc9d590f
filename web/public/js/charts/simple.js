// A self-contained ECharts chart for pages outside the dashboard grid (module pages): created in a
// host element, resized with it, disposed by the page's cleanup. Tooltips are HTML, so every value
// that reaches one goes through escapeHtml (see tip() below); everything else is canvas text.

import { h, escapeHtml } from '../dom.js';
import { getLocale } from '../i18n.js';
import { echartsReady, PALETTE } from './widgets.js';

export function tipHead(text) { return `<div class="tt-head">${escapeHtml(text)}</div>`; }
export function tipRow(index, name, value) {
  const mark = index === null || index === undefined ? '' : `<span class="tt-marker tt-c${index % PALETTE.length}"></span>`;
  return `<div class="tt-row">${mark}<span class="tt-name">${escapeHtml(name)}</span><span class="tt-val">${escapeHtml(value)}</span></div>`;
}

export const TOOLTIP = { confine: true, className: 'chart-tooltip', renderMode: 'html', borderWidth: 0, padding: 0, extraCssText: '' };

/** Creates the chart element; `set(option)` draws (after ECharts loaded); `dispose()` cleans up. */
export function simpleChart({ label, height = 320, id } = {}) {
  const el = h('div', { class: 'page-chart', role: 'img', 'aria-label': label || '', id });
  el.style.height = `${height}px`;
  let chart = null;
  let observer = null;
  let frame = 0;
  let disposed = false;
  return {
    el,
    async set(option, onClick) {
      const echarts = await echartsReady();
      if (disposed) return null;
      if (!chart) {
        chart = echarts.init(el, 'atrium', { renderer: 'canvas', locale: getLocale() === 'zh-CN' ? 'ZH' : 'EN' });
        observer = new ResizeObserver(() => { cancelAnimationFrame(frame); frame = requestAnimationFrame(() => chart && chart.resize()); });
        observer.observe(el);
        if (onClick) chart.on('click', onClick);
      }
      chart.setOption({ animationDuration: 300, aria: { enabled: true, decal: { show: false } }, ...option }, { notMerge: true });
      el.dataset.ready = 'true';
      return chart;
    },
    get chart() { return chart; },
    dispose() {
      disposed = true;
      cancelAnimationFrame(frame);
      if (observer) observer.disconnect();
      if (chart) chart.dispose();
      chart = null;
    },
  };
}
