// The Hello plugin in the browser: the pattern a third-party module follows. The shell loads this
// plugin's bundle (/plugins/hello/i18n/<locale>.json), imports this file (the manifest's "ui") and
// calls register(host). Shown here:
//   - a page under #/m/hello with a navigation entry, built with the list helper (host.list);
//   - texts from the plugin's own bundle through host.i18n.t (the core's keys are the fallback);
//   - a panel on the core account page (host.panel) with a form whose 422 field errors appear
//     beside the inputs (host.forms.createForm);
//   - a "New…" menu item and a global search provider;
//   - timeline entries ("hello.greeting", kind "created") titled by the bundle's timeline.* keys.
// None of it shows for a user whose department does not have the module enabled.

export function register(host) {
  const { h, replace } = host.dom;
  const { t } = host.i18n;
  const { pageHeader, emptyState, errorState, toast, openDialog } = host.ui;
  const accountOf = (g) => g.account_id ?? null;

  host.nav({ path: '/', label: { key: 'nav.greetings' }, icon: 'module', permissions: ['hello.greetings.read'] });

  host.route('/', ({ main, query, signal }) => {
    const body = h('div', { id: 'hello-results' });
    main.append(pageHeader(t('title'), { subtitle: t('subtitle') }), h('section', { class: 'card' }, body));
    const list = host.list.controller({
      body, signal, query, endpoint: '/api/v1/hello/greetings',
      caption: t('title'),
      empty: () => emptyState(t('none')),
      columns: () => [
        { key: 'text', label: t('fields.text'), header: true },
        { key: 'language', label: t('fields.language'), render: (g) => t(`languages.${g.language}`) },
        { key: 'account', label: t('fields.account'), render: (g) => (accountOf(g) ? h('a', { href: `#/accounts/${host.seg(accountOf(g))}`, text: g.account_name || `#${accountOf(g)}` }) : '—') },
      ],
    });
    list.load();
    return () => list.dispose();
  }, { permissions: ['hello.greetings.read'] });

  /** A form for a new greeting; 422 answers put the server's messages beside the fields. */
  function greetingForm({ accountId = null, onSaved }) {
    const f = host.forms.createForm({ idPrefix: 'hello' });
    const text = host.forms.textInput({ maxlength: '200' });
    const language = host.forms.selectInput(['en', 'zh-CN'].map((l) => ({ value: l, label: t(`languages.${l}`) })), host.i18n.locale());
    const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'hello-save', text: t('send') });
    const form = h('form', { class: 'form-stack', novalidate: true }, f.banner,
      f.field('text', t('fields.text'), text, { required: true }),
      f.field('language', t('fields.language'), language),
      h('div', { class: 'form-actions' }, save));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      f.reset();
      save.disabled = true;
      try {
        const payload = { text: text.value.trim(), language: language.value };
        if (accountId) payload.account_id = Number(accountId);
        await host.api.post('/api/v1/hello/greetings', payload);
        toast(t('sent'), 'success');
        text.value = '';
        if (onSaved) onSaved();
      } catch (err) {
        f.fail(err); // 409 → banner; 422 → error.fields beside the inputs
      } finally {
        save.disabled = false;
      }
    });
    return form;
  }

  // The account page shows this panel for users who have the module.
  host.panel('account', ({ record, signal }) => {
    const list = h('ul', { class: 'list', id: 'hello-account-greetings' });
    const load = async () => {
      try {
        // account_id is a filterable field of the greeting entity (resource layer).
        const data = await host.api.get('/api/v1/hello/greetings', { signal, query: { account_id: record.id, limit: 50 } });
        const mine = (data && data.items) || [];
        replace(list, mine.length ? mine.map((g) => h('li', { text: `${g.text} (${t(`languages.${g.language}`)})` })) : h('li', { class: 'muted', text: t('none_for_account') }));
      } catch (err) {
        if (err.name !== 'AbortError') replace(list, errorState(err, load));
      }
    };
    load();
    const canWrite = host.can('hello.greetings.write');
    return h('section', { class: 'card span-3', id: 'hello-account-panel', 'aria-labelledby': 'hello-panel-h' },
      h('h2', { id: 'hello-panel-h', text: t('panel_title', { name: record.name || '' }) }),
      list,
      canWrite ? greetingForm({ accountId: record.id, onSaved: load }) : null);
  });

  host.newItem({
    label: { key: 'new' }, icon: 'plus', permissions: ['hello.greetings.write'],
    run() {
      const { body, close } = openDialog({ title: t('new'), size: 'sm' });
      body.appendChild(greetingForm({ onSaved: () => { close(); host.navigate('/'); } }));
    },
  });

  host.search({
    label: { key: 'title' },
    async search(q, { signal, limit }) {
      // The text is searchable: the server matches ?q= (wildcards are literal).
      const data = await host.api.get('/api/v1/hello/greetings', { signal, query: { q, limit } });
      return ((data && data.items) || [])
        .map((g) => ({ title: g.text, subtitle: t(`languages.${g.language}`), href: host.href('/') }));
    },
  });
}
