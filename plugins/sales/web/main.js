// The Sales module's pages. The shell imports this module from /plugins/sales/main.js (the
// manifest's "ui") and calls register(host); host.api talks to /api/v1/sales/….
const t = {
  sales: { en: 'Sales', 'zh-CN': '销售' },
  opportunities: { en: 'Opportunities', 'zh-CN': '商机' },
  leads: { en: 'Leads', 'zh-CN': '线索' },
  forecast: { en: 'Forecast', 'zh-CN': '销售预测' },
  name: { en: 'Name', 'zh-CN': '名称' },
  account: { en: 'Account', 'zh-CN': '客户' },
  stage: { en: 'Stage', 'zh-CN': '阶段' },
  amount: { en: 'Amount', 'zh-CN': '金额' },
  close: { en: 'Expected close', 'zh-CN': '预计成交' },
  owner: { en: 'Owner', 'zh-CN': '负责人' },
  company: { en: 'Company', 'zh-CN': '公司' },
  source: { en: 'Source', 'zh-CN': '来源' },
  status: { en: 'Status', 'zh-CN': '状态' },
  score: { en: 'Score', 'zh-CN': '评分' },
  pipeline: { en: 'Pipeline', 'zh-CN': '管道' },
  weighted: { en: 'Weighted', 'zh-CN': '加权' },
  commit: { en: 'Commit', 'zh-CN': '承诺' },
  bestCase: { en: 'Best case', 'zh-CN': '最佳情况' },
  won: { en: 'Closed won', 'zh-CN': '已赢单' },
  quota: { en: 'Quota', 'zh-CN': '配额' },
  total: { en: 'Total', 'zh-CN': '合计' },
};

export function register(host) {
  const { h } = host.dom;
  const L = (k) => host.i18n.localized(t[k]);
  const money = (v) => (v === undefined || v === null ? '—' : Number(v).toLocaleString(undefined, { maximumFractionDigits: 0 }));
  const table = (headers, rows) =>
    h('table', { class: 'table' }, [
      h('thead', {}, [h('tr', {}, headers.map((x) => h('th', { text: x })))]),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', { text: String(c ?? '—') }))))),
    ]);

  host.nav({ path: '/', label: t.opportunities, icon: 'module' });
  host.nav({ path: '/leads', label: t.leads, icon: 'module' });
  host.nav({ path: '/forecast', label: t.forecast, icon: 'module' });

  host.route('/', async ({ main, signal }) => {
    const data = await host.api.get('/api/v1/sales/opportunities?status=open&limit=50&sort=expected_close_date', { signal });
    main.append(
      h('h1', { text: `${L('opportunities')} (${data.total})` }),
      table([L('name'), L('account'), L('stage'), L('amount'), L('close'), L('owner')],
        data.items.map((o) => [o.name, o.account_name, host.i18n.localized(o.stage_name), money(o.amount), o.expected_close_date, o.owner_name])),
    );
  });

  host.route('/leads', async ({ main, signal }) => {
    const data = await host.api.get('/api/v1/sales/leads?limit=50&sort=score&order=desc', { signal });
    main.append(
      h('h1', { text: `${L('leads')} (${data.total})` }),
      table([L('company'), L('name'), L('source'), L('status'), L('score'), L('owner')],
        data.items.map((l) => [l.company, `${l.first_name} ${l.last_name ?? ''}`.trim(), l.source, l.status, l.score, l.owner_name])),
    );
  });

  host.route('/forecast', async ({ main, signal }) => {
    const data = await host.api.get('/api/v1/sales/forecast?period_type=quarter&group=team', { signal });
    const label = (item) => (item.label && typeof item.label === 'object' ? host.i18n.localized(item.label) : item.label ?? '—');
    const row = (name, f) => [name, money(f.pipeline), money(f.weighted_pipeline), money(f.commit), money(f.best_case), money(f.closed_won), money(f.quota)];
    main.append(
      h('h1', { text: `${L('forecast')} ${data.period_start} – ${data.period_end}` }),
      table(['', L('pipeline'), L('weighted'), L('commit'), L('bestCase'), L('won'), L('quota')],
        [...data.items.map((i) => row(label(i), i)), row(L('total'), data.total)]),
    );
  });
}
