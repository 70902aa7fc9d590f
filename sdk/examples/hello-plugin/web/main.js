// The Hello plugin's page. The shell imports this module from /plugins/hello/main.js (the
// manifest's "ui") and calls register(host); host.api talks to the plugin's routes.
export function register(host) {
  const { h } = host.dom;
  const label = { en: 'Hello', 'zh-CN': '你好' };
  host.nav({ path: '/', label, icon: 'module' });
  host.route('/', async ({ main, signal }) => {
    const list = h('ul', { class: 'list' });
    main.append(h('h1', { text: host.i18n.localized(label) }), list);
    const data = await host.api.get('/api/v1/hello/greetings?limit=20', { signal });
    for (const g of data.items) list.append(h('li', { text: `${g.text} (${g.language})` }));
  });
}
