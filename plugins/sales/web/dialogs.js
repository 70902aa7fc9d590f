// Dialogs the sales pages, the account panel and the "New…" menu open: new lead, convert a
// lead, new opportunity.

import {
  h, replace, t, localized, formatPercent, api, seg, loadingState, toast, openDialog, createForm, textInput,
  selectInput, navigate, go, LEAD_SOURCES, SIZE_BANDS, CURRENCIES, tr, amountHidden, unavailable, loadPipelines,
} from './common.js';

export function leadDialog() {
  const { body, close } = openDialog({ title: t('leads.new'), size: 'md' });
  const f = createForm({ idPrefix: 'lead' });
  const i = {
    first_name: textInput({ maxlength: '100' }), last_name: textInput({ maxlength: '100' }), company: textInput({ maxlength: '200' }),
    title: textInput({ maxlength: '100' }), email: textInput({ type: 'email', maxlength: '254' }), phone: textInput({ type: 'tel', maxlength: '50' }),
    source: selectInput(LEAD_SOURCES.map((s) => ({ value: s, label: tr('sources', s) })), 'web'),
    industry: textInput({ maxlength: '100' }),
    size_band: selectInput([{ value: '', label: t('accounts.size_band_none') }, ...SIZE_BANDS.map((b) => ({ value: b, label: t('accounts.size_band_value', { band: b }) }))], ''),
    region: textInput({ maxlength: '100' }), city: textInput({ maxlength: '100' }),
  };
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'lead-save', text: t('leads.create') });
  const form = h('form', { class: 'form-stack', novalidate: true }, f.banner,
    h('div', { class: 'form-grid' },
      f.field('company', t('leads.fields.company'), i.company, { required: true, wide: true }),
      f.field('first_name', t('leads.fields.first_name'), i.first_name, { required: true }),
      f.field('last_name', t('leads.fields.last_name'), i.last_name),
      f.field('title', t('leads.fields.title'), i.title),
      f.field('source', t('leads.fields.source'), i.source, { required: true }),
      f.field('email', t('leads.fields.email'), i.email),
      f.field('phone', t('leads.fields.phone'), i.phone),
      f.field('industry', t('leads.fields.industry'), i.industry),
      f.field('size_band', t('leads.fields.size_band'), i.size_band),
      f.field('region', t('leads.fields.region'), i.region),
      f.field('city', t('leads.fields.city'), i.city)),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    const payload = {};
    for (const [k, el] of Object.entries(i)) if (el.value.trim()) payload[k] = el.value.trim();
    const missing = {};
    if (!payload.company) missing.company = t('required');
    if (!payload.first_name) missing.first_name = t('required');
    if (Object.keys(missing).length) { f.showErrors(missing); return; }
    save.disabled = true;
    try {
      const lead = await api.post('/api/v1/sales/leads', payload);
      toast(t('leads.created', { name: payload.company }), 'success');
      close();
      go(`/leads/${lead.id}`);
    } catch (err) { save.disabled = false; f.fail(err); }
  });
  body.appendChild(form);
  i.company.focus();
}


export function convertDialog(lead) {
  const { body, close } = openDialog({ title: t('leads.convert_title', { name: lead.company }), size: 'md' });
  const f = createForm({ idPrefix: 'conv' });
  const want = h('input', { type: 'checkbox', id: 'conv-create-opp', checked: true });
  const oppName = textInput({ value: lead.company || '', maxlength: '200' });
  const amount = textInput({ type: 'number', min: '0', step: '0.01', inputmode: 'decimal', disabled: amountHidden() });
  const close90 = new Date(Date.now() + 90 * 86400000).toISOString().slice(0, 10);
  const closeDate = h('input', { type: 'date', value: close90 });
  const oppFields = h('div', { class: 'form-grid' },
    f.field('opportunity.name', t('opps.fields.name'), oppName, { wide: true }),
    amountHidden() ? null : f.field('opportunity.amount', t('opps.fields.amount'), amount),
    f.field('opportunity.expected_close_date', t('opps.fields.expected_close_date'), closeDate));
  want.addEventListener('change', () => { oppFields.hidden = !want.checked; });
  const ok = h('button', { type: 'submit', class: 'btn btn-primary', id: 'conv-save', text: t('leads.convert') });
  const form = h('form', { class: 'form-stack', novalidate: true },
    h('p', { class: 'muted', text: t('leads.convert_explain') }),
    f.banner,
    h('label', { class: 'check', for: 'conv-create-opp' }, want, h('span', { text: t('leads.create_opportunity') })),
    oppFields,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), ok));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    const payload = { version: lead.version, create_opportunity: want.checked };
    if (want.checked) {
      payload.opportunity = {};
      if (oppName.value.trim()) payload.opportunity.name = oppName.value.trim();
      if (amount.value !== '') payload.opportunity.amount = Number(amount.value);
      if (closeDate.value) payload.opportunity.expected_close_date = closeDate.value;
    }
    ok.disabled = true;
    try {
      const res = await api.post(`/api/v1/sales/leads/${seg(lead.id)}/convert`, payload);
      toast(t('leads.converted', { name: lead.company }), 'success');
      close();
      if (res && res.opportunity_id) go(`/opportunities/${res.opportunity_id}`);
      else if (res && res.account_id) navigate(`/accounts/${res.account_id}`);
      else go(`/leads/${lead.id}`, { r: Date.now() });
    } catch (err) {
      ok.disabled = false;
      f.fail(err, { conflict: t('conflict') });
    }
  });
  body.appendChild(form);
}


export async function opportunityDialog(signal, { accountId = null, accountName = '' } = {}) {
  const { body, close } = openDialog({ title: t('opps.new'), size: 'md' });
  body.appendChild(loadingState());
  let pipelines = [];
  let accounts = [];
  try {
    [pipelines, accounts] = await Promise.all([
      loadPipelines(signal),
      api.get('/api/v1/accounts', { signal, query: { limit: 100, sort: 'name', order: 'asc' } }).then((d) => (d && d.items) || []),
    ]);
  } catch (err) {
    replace(body, unavailable(err));
    return;
  }
  const f = createForm({ idPrefix: 'opp' });
  const name = textInput({ maxlength: '200' });
  const account = h('select', null, h('option', { value: '', text: t('opps.choose_account') }),
    accounts.map((a) => h('option', { value: String(a.id), selected: a.id === accountId, text: a.name || `#${a.id}` })));
  if (accountId && !accounts.some((a) => a.id === accountId)) account.appendChild(h('option', { value: String(accountId), selected: true, text: accountName || `#${accountId}` }));
  const def = pipelines.find((p) => p.is_default) || pipelines[0];
  const pipe = selectInput(pipelines.map((p) => ({ value: p.id, label: localized(p.name) })), def ? def.id : '');
  const stage = h('select');
  const fillStages = () => {
    const p = pipelines.find((x) => String(x.id) === pipe.value);
    replace(stage, (p ? p.stages : []).filter((s) => s.outcome === 'open').map((s) => h('option', { value: String(s.id), text: `${localized(s.name)} (${formatPercent(s.probability / 100)})` })));
  };
  fillStages();
  pipe.addEventListener('change', fillStages);
  const amount = textInput({ type: 'number', min: '0', step: '0.01', inputmode: 'decimal' });
  const currency = selectInput(CURRENCIES.map((c) => ({ value: c, label: c })), 'CNY');
  const closeDate = h('input', { type: 'date', value: new Date(Date.now() + 60 * 86400000).toISOString().slice(0, 10) });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'opp-save', text: t('opps.create') });
  const form = h('form', { class: 'form-stack', novalidate: true }, f.banner,
    h('div', { class: 'form-grid' },
      f.field('name', t('opps.fields.name'), name, { required: true, wide: true }),
      f.field('account_id', t('opps.fields.account'), account, { required: true, wide: true }),
      f.field('pipeline_id', t('opps.fields.pipeline'), pipe),
      f.field('stage_id', t('opps.fields.stage'), stage),
      amountHidden() ? null : f.field('amount', t('opps.fields.amount'), amount, { required: true }),
      f.field('currency', t('opps.fields.currency'), currency),
      f.field('expected_close_date', t('opps.fields.expected_close_date'), closeDate, { required: true })),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', text: t('common.cancel'), on: { click: () => close() } }), save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.reset();
    const payload = {
      name: name.value.trim(), account_id: account.value ? Number(account.value) : null, pipeline_id: Number(pipe.value), stage_id: Number(stage.value),
      currency: currency.value, expected_close_date: closeDate.value,
    };
    if (!amountHidden() && amount.value !== '') payload.amount = Number(amount.value);
    const missing = {};
    if (!payload.name) missing.name = t('required');
    if (!payload.account_id) missing.account_id = t('required');
    if (!amountHidden() && amount.value === '') missing.amount = t('required');
    if (!payload.expected_close_date) missing.expected_close_date = t('required');
    if (Object.keys(missing).length) { f.showErrors(missing); return; }
    save.disabled = true;
    try {
      const o = await api.post('/api/v1/sales/opportunities', payload);
      toast(t('opps.created', { name: payload.name }), 'success');
      close();
      go(`/opportunities/${o.id}`);
    } catch (err) { save.disabled = false; f.fail(err); }
  });
  replace(body, form);
  name.focus();
}

