// The Sales module in the browser. The shell loads this module's bundle (i18n/<locale>.json),
// imports this file (the manifest's "ui") and calls register(host). Everything sales shows lives
// here: its pages under #/m/sales/…, its navigation entries, its stylesheet, the opportunities
// panels on the core account and contact pages, its global search provider and its "New…" items.
// Old links (#/sales/leads, #/sales/opportunities/7, …) land on the same pages.

import { init, t, can, api, seg, personName, PERM } from './common.js';
import { renderLeadList } from './pages/leads.js';
import { renderLeadDetail } from './pages/lead.js';
import { renderOpportunities } from './pages/opportunities.js';
import { renderOpportunityDetail } from './pages/opportunity.js';
import { renderForecast } from './pages/forecast.js';
import { accountOpportunitiesCard } from './pages/account-panel.js';
import { leadDialog, opportunityDialog } from './dialogs.js';

export function register(host) {
  init(host);
  host.stylesheet('sales.css');

  host.nav({ path: '/opportunities', label: { key: 'nav.opportunities' }, icon: 'funnel', permissions: PERM.opportunityRead });
  host.nav({ path: '/leads', label: { key: 'nav.leads' }, icon: 'lead', permissions: PERM.leadRead });
  host.nav({ path: '/forecast', label: { key: 'nav.forecast' }, icon: 'chart', permissions: PERM.forecastRead });

  host.route('/', () => host.navigate('/opportunities', null, { replace: true }));
  host.route('/leads', renderLeadList, { permissions: PERM.leadRead });
  host.route('/leads/:id', renderLeadDetail, { permissions: PERM.leadRead });
  host.route('/opportunities', renderOpportunities, { permissions: PERM.opportunityRead });
  host.route('/opportunities/:id', renderOpportunityDetail, { permissions: PERM.opportunityRead });
  host.route('/forecast', renderForecast, { permissions: PERM.forecastRead });
  // Links from before the module moved into its plugin: #/sales/<rest> → #/m/sales/<rest>.
  host.redirect(`/${host.id}/*`, (params, rest) => `/${rest}`);

  host.panel('account', ({ record, signal }) => (can(...PERM.opportunityRead) ? accountOpportunitiesCard(record, signal) : null), { order: 10 });
  // A contact's page: the deals of the contact's account.
  host.panel('contact', ({ record, signal }) => (record.account_id && can(...PERM.opportunityRead)
    ? accountOpportunitiesCard({ id: record.account_id, name: record.account_name || '' }, signal) : null), { order: 10 });

  host.search({
    label: { key: 'search.label' },
    async search(q, { signal, limit }) {
      const rows = (data) => (data && data.items) || [];
      const [opps, leads] = await Promise.all([
        can(...PERM.opportunityRead) ? api.get('/api/v1/sales/opportunities', { signal, query: { q, limit, status: '' } }).then(rows) : [],
        can(...PERM.leadRead) ? api.get('/api/v1/sales/leads', { signal, query: { q, limit } }).then(rows) : [],
      ]);
      return [
        ...opps.map((o) => ({ title: o.name, subtitle: [t('search.opportunity'), o.account_name].filter(Boolean).join(' · '), href: host.href(`/opportunities/${seg(o.id)}`) })),
        ...leads.map((l) => ({ title: l.company || personName(l.first_name, l.last_name), subtitle: [t('search.lead'), personName(l.first_name, l.last_name)].filter(Boolean).join(' · '), href: host.href(`/leads/${seg(l.id)}`) })),
      ].slice(0, limit);
    },
  });

  host.newItem({ label: { key: 'leads.new' }, icon: 'lead', permissions: PERM.leadWrite, run: () => leadDialog() });
  host.newItem({ label: { key: 'opps.new' }, icon: 'funnel', permissions: PERM.opportunityWrite, run: () => opportunityDialog(undefined) });
}
