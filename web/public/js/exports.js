// Files the server renders from report results (CSV / XLSX / PDF; docs/reporting.md "Exports").
// The export routes are POST-only, so a plain link cannot fetch them: each button fetches the
// file with the session cookie and the CSRF token (requestBlob) and hands the blob to the
// browser as a download under a readable name.

import { h, icon, download, slug } from './dom.js';
import { t } from './i18n.js';
import { requestBlob } from './api.js';
import { toastError } from './ui.js';
import { can } from './session.js';

export const EXPORT_FORMATS = ['csv', 'xlsx', 'pdf'];

/** The server refuses exports without reports.export; the buttons are hidden then. */
export function mayExport() { return can('reports.export'); }

/** "-2026-01-01_2026-06-30" for a {from, to} period, "" otherwise (file names). */
export function periodSuffix(period) {
  return period && period.from && period.to ? `-${period.from}_${period.to}` : '';
}

const value = (v) => (typeof v === 'function' ? v() : v);

/**
 * A group of buttons, one per format, ids `${id}-${format}`. `path`, `body` and `filename` (the
 * name without extension) may be functions, read at click time so the current filters apply.
 */
export function exportButtons({ id, path, body, filename, formats = EXPORT_FORMATS }) {
  return h('div', { class: 'export-group', role: 'group', 'aria-label': t('exports.label') }, formats.map((format) => {
    const btn = h('button', { type: 'button', class: 'btn', id: `${id}-${format}`, dataset: { format } }, icon('download'), t(`exports.${format}`));
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      btn.setAttribute('aria-busy', 'true');
      try {
        const blob = await requestBlob('POST', value(path), { query: { format }, body: value(body) });
        download(`${slug(value(filename))}.${format}`, blob);
      } catch (err) {
        toastError(err);
      } finally {
        btn.disabled = false;
        btn.removeAttribute('aria-busy');
      }
    });
    return btn;
  }));
}
