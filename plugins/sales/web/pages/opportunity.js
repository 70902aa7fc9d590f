// An opportunity: details, stage path and change, products, and a timeline of its stage history
// plus its entries on the account's timeline (rendered through the bundle's timeline.* keys).

import {
  h, icon, replace, t, has, localized, formatNumber, formatPercent, formatDate, formatDateTime, formatRelative, api, seg,
  can, pageHeader, dataTable, loadingState, emptyState, errorState, toast, toastError, chip, selectInput,
  focusHeading, link, go, host, PERM, STATUS_CHIP, tr, money, crumbs, unavailable, loadPipelines, stageName,
  definition, closeDateCell, moveStage, askLostReason, MOVE_CHIP,
} from '../common.js';

export async function renderOpportunityDetail({ main, params, signal }) {
  main.appendChild(loadingState());
  let o;
  let pipelines = [];
  try {
    [o, pipelines] = await Promise.all([api.get(`/api/v1/sales/opportunities/${seg(params.id)}`, { signal }), loadPipelines(signal).catch(() => [])]);
  } catch (err) {
    if (err.name === 'AbortError') return;
    replace(main, pageHeader(t('opps.title'), { crumbs: crumbs({ label: t('opps.title'), href: link('/opportunities') }) }),
      err.status === 404 && !/nothing at/i.test(err.serverMessage || '') ? errorState({ message: t('opps.not_found') }) : unavailable(err));
    return;
  }
  const pipeline = pipelines.find((p) => p.id === o.pipeline_id);
  const actions = [];
  if (can(...PERM.opportunityWrite) && pipeline) {
    const sel = selectInput(pipeline.stages.map((s) => ({ value: s.id, label: localized(s.name) })), o.stage_id, { id: 'opp-stage' });
    sel.addEventListener('change', async () => {
      const stage = pipeline.stages.find((s) => String(s.id) === sel.value);
      let lostReason = null;
      if (stage.outcome === 'lost') {
        lostReason = await askLostReason(o);
        if (!lostReason) { sel.value = String(o.stage_id); return; }
      }
      sel.disabled = true;
      try {
        await moveStage(o, stage, { lostReason });
        toast(t('opps.moved', { name: o.name, stage: localized(stage.name) }), 'success');
      } catch (err) {
        toastError(err.status === 409 ? { message: t('conflict_reloaded') } : err);
      }
      go(`/opportunities/${o.id}`, { r: Date.now() }, { replace: true });
    });
    actions.push(h('span', { class: 'inline-field' }, h('label', { for: 'opp-stage', text: t('opps.fields.stage') }), sel));
  }
  const timelineHost = h('div', null, loadingState());
  const stagePath = pipeline ? h('ol', { class: 'stage-path', 'aria-label': t('opps.fields.stage') }, pipeline.stages.filter((s) => s.outcome === 'open' || s.id === o.stage_id).map((s) => {
    const cur = pipeline.stages.find((x) => x.id === o.stage_id);
    const done = cur && s.position < cur.position && cur.outcome !== 'lost';
    return h('li', { class: ['stage-step', s.id === o.stage_id ? 'current' : '', done ? 'done' : '', `outcome-${s.outcome}`], 'aria-current': s.id === o.stage_id ? 'step' : null, text: localized(s.name) });
  })) : null;
  replace(main,
    pageHeader(o.name, {
      subtitle: [o.account_name, o.owner_name].filter(Boolean).join(' · '),
      crumbs: crumbs({ label: t('opps.title'), href: link('/opportunities') }, { label: o.name }),
      actions,
    }),
    stagePath,
    h('div', { class: 'detail-grid' },
      h('section', { class: 'card span-2', 'aria-labelledby': 'opp-info-h' },
        h('h2', { id: 'opp-info-h', text: t('opps.details') }),
        h('dl', { class: 'props props-2' },
          definition(t('opps.fields.account'), o.account_id ? h('a', { href: `#/accounts/${seg(o.account_id)}`, id: 'opp-account-link', text: o.account_name ?? `#${o.account_id}` }) : null),
          definition(t('opps.fields.stage'), chip(stageName(o), STATUS_CHIP[o.status] || 'neutral')),
          definition(t('opps.fields.pipeline'), pipeline ? localized(pipeline.name) : null),
          definition(t('opps.fields.status'), tr('opp_status', o.status)),
          'amount' in o ? definition(t('opps.fields.amount'), h('span', { class: 'num', id: 'opp-amount', text: money(o.amount, o.currency) })) : null,
          'weighted_amount' in o ? definition(t('opps.fields.weighted_amount'), money(o.weighted_amount, o.currency)) : null,
          definition(t('opps.fields.probability'), formatPercent((o.probability ?? 0) / 100)),
          definition(t('opps.fields.forecast_category'), tr('categories', o.forecast_category)),
          definition(t('opps.fields.expected_close_date'), closeDateCell(o)),
          o.closed_at ? definition(t('opps.fields.closed_at'), formatDate(o.closed_at)) : null,
          o.lost_reason ? definition(t('opps.fields.lost_reason'), o.lost_reason) : null,
          definition(t('fields.owner'), o.owner_name),
          definition(t('fields.created_at'), formatDateTime(o.created_at)),
          definition(t('fields.updated_at'), formatDateTime(o.updated_at)))),
      h('section', { class: 'card', 'aria-labelledby': 'opp-products-h' },
        h('h2', { id: 'opp-products-h', text: t('opps.products') }),
        (o.products || []).length ? dataTable({
          caption: t('opps.products'),
          columns: [
            { key: 'name', label: t('opps.product'), header: true, render: (p) => h('span', { class: 'stack' }, h('span', { text: localized(p.name) }), h('code', { class: 'muted small', text: p.code || '' })) },
            { key: 'quantity', label: t('opps.quantity'), align: 'end', render: (p) => formatNumber(p.quantity) },
            'unit_price' in ((o.products || [])[0] || {}) ? { key: 'unit_price', label: t('opps.unit_price'), align: 'end', render: (p) => money(p.unit_price, o.currency) } : null,
            { key: 'discount', label: t('opps.discount'), align: 'end', render: (p) => formatPercent((p.discount || 0) / 100) },
          ],
          rows: o.products,
        }) : h('p', { class: 'muted', text: t('opps.no_products') })),
      h('section', { class: 'card span-3', 'aria-labelledby': 'opp-timeline-h' },
        h('h2', { id: 'opp-timeline-h' }, icon('timeline'), t('opps.timeline')), timelineHost)));
  focusHeading(main);

  // Timeline: the stage history plus this opportunity's entries on the account timeline.
  // Stage names in the active language from the pipeline (the history carries English names).
  const stageLabel = (id, fallback) => {
    const st = pipelines.flatMap((p) => p.stages || []).find((x) => x.id === id);
    return st ? localized(st.name) : fallback;
  };
  const events = (o.stage_history || []).map((s) => ({
    kind: s.from_stage_id ? s.movement || 'forward' : 'created',
    at: s.changed_at,
    title: s.from_stage_id
      ? t('opps.history_move', { from: stageLabel(s.from_stage_id, s.from), to: stageLabel(s.to_stage_id, s.to) })
      : t('opps.history_start', { to: stageLabel(s.to_stage_id, s.to) }),
    actor: s.changed_by_name,
  }));
  let entries = [];
  if (o.account_id && can('core.account.read')) {
    try {
      const data = await api.get(`/api/v1/accounts/${seg(o.account_id)}/timeline`, { signal, query: { limit: 100 } });
      entries = ((data && data.items) || []).filter((e) => e.entity_type === 'sales.opportunity' && String(e.entity_id) === String(o.id) && e.kind !== 'created');
    } catch (err) { if (err.name === 'AbortError') return; }
  }
  // The module's own entries, titled in the reader's language from the bundle's timeline.* keys.
  for (const e of entries) events.push({ kind: e.kind, kindLabel: host.timeline.kind(e), at: e.occurred_at, title: host.timeline.title(e), body: e.body, actor: e.actor_name });
  events.sort((a, b) => String(b.at).localeCompare(String(a.at)));
  replace(timelineHost, events.length ? h('ol', { class: 'timeline', id: 'opp-timeline' }, events.map((e) => h('li', { class: 'timeline-item', dataset: { kind: e.kind } },
    h('div', { class: 'timeline-marker', 'aria-hidden': 'true' }),
    h('div', { class: 'timeline-content' },
      h('div', { class: 'timeline-head' },
        chip(e.kindLabel || tr('movements', e.kind), MOVE_CHIP[e.kind] || 'neutral'),
        h('strong', { class: 'timeline-title', text: e.title || '' }),
        h('time', { datetime: e.at || '', title: formatDateTime(e.at), class: 'muted', text: formatRelative(e.at) })),
      e.body && typeof e.body === 'object' ? h('dl', { class: 'timeline-fields' }, Object.entries(e.body).map(([k, v]) => [
        h('dt', { text: has(`timeline.fields.${k}`) ? t(`timeline.fields.${k}`) : tr('opps.fields', k) }), h('dd', { text: v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v) })])) : null,
      e.actor ? h('p', { class: 'muted small', text: t('timeline.actor', { name: e.actor }) }) : null)))) : emptyState(t('timeline.none')));
}

