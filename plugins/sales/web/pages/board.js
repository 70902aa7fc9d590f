// The pipeline board: a column per stage, cards moved by drag and drop or a select; a move sends
// the record's version and a 409 (someone else changed it) reloads the board.

import {
  h, replace, t, localized, formatPercent, api, seg, can, loadingState, emptyState, toast, toastError, selectInput,
  link, go, PERM, money, amountHidden, unavailable, closeDateCell, moveStage, askLostReason,
} from '../common.js';

export function opportunityBoard({ main, state, pipelines, signal }) {
  const pipeline = pipelines.find((p) => p.id === state.pipeline_id) || pipelines.find((p) => p.is_default) || pipelines[0];
  if (!pipeline) { main.appendChild(emptyState(t('opps.no_pipelines'))); return undefined; }
  const pipe = selectInput(pipelines.map((p) => ({ value: p.id, label: localized(p.name) })), pipeline.id, { id: 'board-pipeline' });
  pipe.addEventListener('change', () => go('/opportunities', { view: 'board', pipeline_id: pipe.value }));
  const live = h('p', { class: 'sr-only', 'aria-live': 'assertive', id: 'board-live' });
  const board = h('div', { class: 'board', id: 'pipeline-board', dataset: { pipeline: String(pipeline.id) } }, loadingState());
  main.append(
    h('div', { class: 'toolbar' }, h('label', { for: 'board-pipeline', text: t('opps.fields.pipeline') }), pipe,
      h('span', { class: 'muted small', text: t('opps.board_hint') })),
    live, board);

  const canWrite = can(...PERM.opportunityWrite);
  let opps = [];
  let totals = {};
  let dragging = null;
  const CLOSED_SHOWN = 20;

  // Every open deal of the pipeline, and only the most recently closed won / lost ones.
  const load = async () => {
    try {
      const base = { pipeline_id: pipeline.id };
      const [open, won, lost] = await Promise.all([
        api.get('/api/v1/sales/opportunities', { signal, query: { ...base, status: 'open', limit: 200, sort: 'expected_close_date', order: 'asc' } }),
        api.get('/api/v1/sales/opportunities', { signal, query: { ...base, status: 'won', limit: CLOSED_SHOWN, sort: 'closed_at', order: 'desc' } }),
        api.get('/api/v1/sales/opportunities', { signal, query: { ...base, status: 'lost', limit: CLOSED_SHOWN, sort: 'closed_at', order: 'desc' } }),
      ]);
      opps = [open, won, lost].flatMap((d) => (d && d.items) || []);
      totals = { open: open && open.total, won: won && won.total, lost: lost && lost.total };
      draw();
    } catch (err) {
      if (err.name !== 'AbortError') replace(board, unavailable(err, load));
    }
  };

  const apply = async (opp, stage) => {
    if (!stage || opp.stage_id === stage.id) return;
    let lostReason = null;
    if (stage.outcome === 'lost') {
      lostReason = await askLostReason(opp);
      if (!lostReason) return;
    }
    const before = { ...opp };
    // Optimistic: move the card now, undo on failure.
    Object.assign(opp, { stage_id: stage.id, stage_name: stage.name, status: stage.outcome === 'open' ? 'open' : stage.outcome });
    draw();
    try {
      const saved = await moveStage(before, stage, { lostReason });
      Object.assign(opp, saved || {});
      live.textContent = t('opps.moved', { name: opp.name, stage: localized(stage.name) });
      toast(live.textContent, 'success', { timeout: 3000 });
      draw();
    } catch (err) {
      Object.assign(opp, before);
      if (err.status === 409) {
        toast(t('opps.conflict_board', { name: opp.name }), 'error', { timeout: 9000 });
        live.textContent = t('opps.conflict_board', { name: opp.name });
        await load();
      } else {
        toastError(err);
        draw();
      }
    }
  };

  function card(o) {
    const move = canWrite ? h('select', { class: 'card-move', 'aria-label': t('opps.move_to', { name: o.name }), dataset: { id: String(o.id) } },
      pipeline.stages.map((s) => h('option', { value: String(s.id), selected: s.id === o.stage_id, text: localized(s.name) }))) : null;
    if (move) move.addEventListener('change', () => apply(o, pipeline.stages.find((s) => String(s.id) === move.value)));
    const el = h('li', { class: ['opp-card', `opp-${o.status}`], draggable: canWrite ? 'true' : null, dataset: { id: String(o.id), stage: String(o.stage_id), version: String(o.version) } },
      h('a', { href: link(`/opportunities/${seg(o.id)}`), class: 'opp-card-name', text: o.name || '—' }),
      h('span', { class: 'opp-card-account muted small', text: o.account_name ?? '' }),
      h('span', { class: 'opp-card-meta' },
        amountHidden() ? null : h('strong', { class: 'num', text: money(o.amount, o.currency) }),
        h('span', { class: 'muted small' }, closeDateCell(o))),
      h('span', { class: 'opp-card-foot' }, h('span', { class: 'muted small', text: o.owner_name || '' }), move));
    if (canWrite) {
      el.addEventListener('dragstart', (ev) => {
        dragging = o;
        el.classList.add('dragging');
        ev.dataTransfer.effectAllowed = 'move';
        ev.dataTransfer.setData('text/plain', String(o.id));
      });
      el.addEventListener('dragend', () => { el.classList.remove('dragging'); dragging = null; });
    }
    return el;
  }

  function draw() {
    const cols = pipeline.stages.map((s) => {
      const list = opps.filter((o) => o.stage_id === s.id);
      const sum = list.reduce((acc, o) => acc + (Number(o.amount) || 0), 0);
      const closedTotal = s.outcome !== 'open' ? totals[s.outcome] : null;
      const more = closedTotal && closedTotal > list.length
        ? h('p', { class: 'muted small board-more' }, t('opps.latest_closed', { shown: list.length, total: closedTotal }), ' ',
          h('a', { href: link('/opportunities', { status: s.outcome, pipeline_id: pipeline.id, sort: 'updated_at', order: 'desc' }), text: t('opps.see_all') }))
        : null;
      const ul = h('ul', { class: 'board-cards', 'aria-label': localized(s.name) }, list.map(card));
      const col = h('section', { class: ['board-col', `outcome-${s.outcome}`], dataset: { stage: String(s.id), outcome: s.outcome }, 'aria-labelledby': `stage-h-${s.id}` },
        h('header', { class: 'board-col-head' },
          h('h2', { id: `stage-h-${s.id}`, text: localized(s.name) }),
          h('span', { class: 'muted small', text: `${formatPercent(s.probability / 100)} · ${t('opps.n_deals', { count: list.length })}` }),
          amountHidden() ? null : h('strong', { class: 'num board-col-sum', title: s.outcome !== 'open' ? t('opps.sum_shown') : null, text: money(sum, 'CNY', true) })),
        list.length ? ul : h('div', { class: 'board-empty', text: t('opps.drop_here') }), more);
      if (canWrite) {
        col.addEventListener('dragover', (ev) => { if (dragging) { ev.preventDefault(); ev.dataTransfer.dropEffect = 'move'; col.classList.add('drop-target'); } });
        col.addEventListener('dragleave', (ev) => { if (!col.contains(ev.relatedTarget)) col.classList.remove('drop-target'); });
        col.addEventListener('drop', (ev) => {
          ev.preventDefault();
          col.classList.remove('drop-target');
          const id = Number(ev.dataTransfer.getData('text/plain')) || (dragging && dragging.id);
          const o = opps.find((x) => x.id === id);
          if (o) apply(o, s);
        });
      }
      return col;
    });
    replace(board, cols);
  }

  load();
  return undefined;
}

