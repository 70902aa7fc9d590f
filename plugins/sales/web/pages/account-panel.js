// The panel sales puts on a core account page: the account's opportunities (open first) and a
// "New opportunity" for it. Registered with host.panel('account', …) in main.js.

import {
  h, icon, replace, t, api, seg, can, dataTable, loadingState, emptyState, chip, link, go, host, PERM,
  STATUS_CHIP, money, amountHidden, unavailable, stageName, closeDateCell,
} from '../common.js';
import { opportunityDialog } from '../dialogs.js';


/** Card with the account's opportunities (open first) and a "New opportunity" for it. */
export function accountOpportunitiesCard(account, signal) {
  const body = h('div', { id: 'acc-opps' }, loadingState());
  const add = can(...PERM.opportunityWrite)
    ? h('button', { type: 'button', class: 'btn btn-sm', id: 'acc-opp-new', on: { click: () => opportunityDialog(signal, { accountId: account.id, accountName: account.name }) } }, icon('plus'), t('opps.new'))
    : null;
  const card = h('section', { class: 'card span-3', 'aria-labelledby': 'acc-opps-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'acc-opps-h' }, icon('funnel'), t('opps.title')), add), body);
  (async () => {
    try {
      const data = await api.get('/api/v1/sales/opportunities', { signal, query: { account_id: account.id, limit: 100, sort: 'expected_close_date', order: 'desc' } });
      const items = ((data && data.items) || []).sort((a, b) => (a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1));
      if (!items.length) { replace(body, emptyState(t('opps.none_for_account'))); return; }
      const open = items.filter((o) => o.status === 'open');
      const sum = open.reduce((acc, o) => acc + (Number(o.amount) || 0), 0);
      replace(body,
        amountHidden() ? null : h('p', { class: 'muted small', text: t('opps.open_summary', { count: open.length, amount: money(sum, 'CNY') }) }),
        dataTable({
          caption: t('opps.title'),
          columns: [
            { key: 'name', label: t('opps.fields.name'), header: true, render: (o) => h('a', { href: link(`/opportunities/${seg(o.id)}`), text: o.name || '—' }) },
            { key: 'stage', label: t('opps.fields.stage'), render: (o) => chip(stageName(o), STATUS_CHIP[o.status] || 'neutral') },
            amountHidden() ? null : { key: 'amount', label: t('opps.fields.amount'), align: 'end', render: (o) => h('span', { class: 'num', text: money(o.amount, o.currency) }) },
            { key: 'expected_close_date', label: t('opps.fields.expected_close_date'), render: (o) => closeDateCell(o) },
            { key: 'owner', label: t('fields.owner'), render: (o) => o.owner_name || '—' },
          ],
          rows: items,
          onRowClick: (o) => go(`/opportunities/${o.id}`),
        }));
    } catch (err) {
      if (err.name !== 'AbortError') replace(body, unavailable(err));
    }
  })();
  return card;
}

