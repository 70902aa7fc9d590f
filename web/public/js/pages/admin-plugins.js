// Admin → Plugins: every plugin the host found, with its state; refused plugins show the reason
// the host gave (ABI mismatch, bad signature, missing permission declaration, …).

import { h, icon, replace } from '../dom.js';
import { t, localized, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { pageHeader, dataTable, loadingState, emptyState, errorState, chip } from '../ui.js';

const STATE_CHIP = { loaded: 'green', refused: 'red', disabled: 'neutral' };

function stateLabel(state) {
  const key = `plugins.states.${state}`;
  const text = t(key);
  return text === key ? String(state || '') : text;
}

export async function renderPlugins({ main, signal }) {
  const refresh = h('button', { type: 'button', class: 'btn', id: 'plugins-refresh' }, icon('refresh'), t('common.refresh'));
  const summary = h('div', { class: 'summary-row', 'aria-live': 'polite' });
  const body = h('div', null, loadingState());
  // Filled when the reporting engine reports declarations it cannot serve (administrators only).
  const problems = h('section', { class: 'card', id: 'report-problems', hidden: true, 'aria-labelledby': 'report-problems-h' });
  main.append(pageHeader(t('plugins.title'), { subtitle: t('plugins.subtitle'), actions: [refresh] }), summary, h('section', { class: 'card', 'aria-label': t('plugins.title') }, body), problems);

  const loadProblems = async () => {
    try {
      const cat = await api.get('/api/v1/reports/catalog', { signal });
      const list = (cat && Array.isArray(cat.problems)) ? cat.problems : [];
      problems.hidden = list.length === 0;
      replace(problems,
        h('h2', { id: 'report-problems-h', text: t('plugins.report_problems') }),
        h('p', { class: 'muted small', text: t('plugins.report_problems_hint') }),
        h('ul', { class: 'problem-list' }, list.map((p) => h('li', null, h('code', { text: String(p) })))));
    } catch {
      problems.hidden = true; // no reporting access: nothing to show
    }
  };

  const load = async () => {
    body.setAttribute('aria-busy', 'true');
    try {
      const data = await api.get('/api/v1/admin/plugins', { signal });
      const plugins = ((data && data.plugins) || []).slice().sort((a, b) => String(a.id).localeCompare(String(b.id)));
      const counts = { loaded: 0, refused: 0, disabled: 0 };
      for (const p of plugins) if (p.state in counts) counts[p.state] += 1;
      replace(summary, ['loaded', 'refused', 'disabled'].map((s) =>
        h('div', { class: `summary-tile tile-${STATE_CHIP[s]}` }, h('span', { class: 'summary-value', text: formatNumber(counts[s]) }), h('span', { class: 'summary-label', text: stateLabel(s) }))));
      if (!plugins.length) { replace(body, emptyState(t('plugins.none'))); return; }
      replace(body, dataTable({
        caption: t('plugins.title'),
        rowKey: 'id',
        columns: [
          { key: 'name', label: t('plugins.fields.name'), header: true, render: (p) => h('span', null, h('strong', { text: localized(p.name) || p.id }), h('span', { class: 'muted small block', text: p.id })) },
          { key: 'version', label: t('plugins.fields.version'), render: (p) => p.version || '—' },
          { key: 'state', label: t('plugins.fields.state'), render: (p) => chip(stateLabel(p.state), STATE_CHIP[p.state] || 'neutral') },
          { key: 'reason', label: t('plugins.fields.reason'), class: 'wrap', render: (p) => (p.reason ? h('span', { class: p.state === 'refused' ? 'reason-refused' : '', text: p.reason }) : '—') },
        ],
        rows: plugins,
      }));
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, errorState(err, load));
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  };
  refresh.addEventListener('click', () => { load(); loadProblems(); });
  await Promise.all([load(), loadProblems()]);
}
