// A lead: details, score, status change and conversion.

import {
  h, replace, t, formatNumber, formatDateTime, personName, api, seg, can, pageHeader, loadingState, errorState,
  toast, toastError, chip, selectInput, link, go, PERM, STATUS_CHIP, tr, crumbs, unavailable, definition,
  scoreBar,
} from '../common.js';
import { convertDialog } from '../dialogs.js';

export async function renderLeadDetail({ main, params, signal }) {
  main.appendChild(loadingState());
  let lead;
  try {
    lead = await api.get(`/api/v1/sales/leads/${seg(params.id)}`, { signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    replace(main, pageHeader(t('leads.title'), { crumbs: crumbs({ label: t('leads.title'), href: link('/leads') }) }),
      err.status === 404 && !/nothing at/i.test(err.serverMessage || '') ? errorState({ message: t('leads.not_found') }) : unavailable(err));
    return;
  }
  const name = personName(lead.first_name, lead.last_name);
  const canWrite = can(...PERM.leadWrite) && lead.status !== 'converted';
  const actions = [];
  if (canWrite) {
    const statusSel = selectInput(['new', 'working', 'qualified', 'disqualified'].map((s) => ({ value: s, label: tr('lead_status', s) })), lead.status, { id: 'lead-status' });
    statusSel.addEventListener('change', async () => {
      statusSel.disabled = true;
      try {
        await api.put(`/api/v1/sales/leads/${seg(lead.id)}`, { status: statusSel.value, version: lead.version });
        toast(t('leads.status_changed', { status: tr('lead_status', statusSel.value) }), 'success');
      } catch (err) {
        toastError(err.status === 409 ? { message: t('conflict_reloaded') } : err);
      }
      go(`/leads/${lead.id}`, { r: Date.now() }, { replace: true });
    });
    actions.push(h('span', { class: 'inline-field' }, h('label', { for: 'lead-status', text: t('leads.fields.status') }), statusSel));
    if (lead.status !== 'disqualified') actions.push(h('button', { type: 'button', class: 'btn btn-primary', id: 'lead-convert', on: { click: () => convertDialog(lead) } }, t('leads.convert')));
  }
  const converted = lead.status === 'converted';
  replace(main,
    pageHeader(lead.company || name, {
      subtitle: [name, lead.title].filter(Boolean).join(' · '),
      crumbs: crumbs({ label: t('leads.title'), href: link('/leads') }, { label: lead.company || name }),
      actions,
    }),
    converted ? h('p', { class: 'notice', role: 'status' }, t('leads.converted_notice'), ' ',
      lead.converted_account_id ? h('a', { href: `#/accounts/${seg(lead.converted_account_id)}`, text: t('leads.open_account') }) : null,
      lead.converted_opportunity_id ? [' · ', h('a', { href: link(`/opportunities/${seg(lead.converted_opportunity_id)}`), text: t('leads.open_opportunity') })] : null) : null,
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card span-2', 'aria-labelledby': 'lead-info-h' },
        h('h2', { id: 'lead-info-h', text: t('leads.details') }),
        h('dl', { class: 'props props-2' },
          definition(t('leads.fields.company'), lead.company),
          definition(t('leads.fields.contact'), name),
          definition(t('leads.fields.title'), lead.title),
          definition(t('leads.fields.email'), lead.email ? h('a', { href: `mailto:${lead.email}`, text: lead.email }) : null),
          definition(t('leads.fields.phone'), lead.phone),
          definition(t('leads.fields.source'), tr('sources', lead.source)),
          definition(t('leads.fields.industry'), lead.industry),
          definition(t('leads.fields.size_band'), lead.size_band ? t('accounts.size_band_value', { band: lead.size_band }) : null),
          definition(t('leads.fields.region'), [lead.city, lead.region].filter(Boolean).join(', ')),
          definition(t('fields.owner'), lead.owner_name),
          definition(t('leads.fields.last_activity_at'), lead.last_activity_at ? formatDateTime(lead.last_activity_at) : null),
          definition(t('fields.created_at'), formatDateTime(lead.created_at)))),
      h('section', { class: 'card', 'aria-labelledby': 'lead-score-h' },
        h('h2', { id: 'lead-score-h', text: t('leads.fields.score') }),
        h('p', { class: 'big-number num', id: 'lead-score', text: formatNumber(lead.score ?? 0) }),
        scoreBar(lead.score),
        h('p', { class: 'muted small', text: t('leads.score_hint') }),
        h('p', null, chip(tr('lead_status', lead.status), STATUS_CHIP[lead.status])))));
}

