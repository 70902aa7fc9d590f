// Sign-in page. Shows the server's error message; on 429 (throttled) it shows the message and
// counts down retry_after seconds before the form can be submitted again.

import { h, icon, clear } from '../dom.js';
import { t, getLocale, setLocale, hasStoredLocale, LOCALES, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { setSession, loadSession } from '../session.js';
import { destroyShell, languageSelect } from '../shell.js';

export function renderLogin({ query, onSignedIn }) {
  destroyShell();
  const app = document.getElementById('app');
  clear(app);
  app.setAttribute('aria-busy', 'false');
  document.title = `${t('login.title')} · ${t('app.name')}`;

  const errorBox = h('div', { class: 'form-error', id: 'login-error', role: 'alert', hidden: true });
  const email = h('input', { id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', required: true, maxlength: '254', 'aria-describedby': 'login-error', spellcheck: 'false' });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '128', 'aria-describedby': 'login-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: 'login-submit', text: t('login.submit') });
  const form = h('form', { class: 'login-form', novalidate: true, 'aria-labelledby': 'login-heading' },
    h('div', { class: 'field' }, h('label', { for: 'login-email', text: t('login.email') }), email),
    h('div', { class: 'field' }, h('label', { for: 'login-password', text: t('login.password') }), password),
    errorBox,
    submit);

  let countdown = 0;
  let timer = 0;
  const showError = (text) => {
    errorBox.hidden = !text;
    errorBox.textContent = text || '';
  };
  const startThrottle = (message, seconds) => {
    clearInterval(timer);
    countdown = Math.max(1, Math.ceil(seconds || 30));
    submit.disabled = true;
    const tick = () => {
      if (!app.contains(form)) { clearInterval(timer); return; }
      if (countdown <= 0) {
        clearInterval(timer);
        submit.disabled = false;
        submit.textContent = t('login.submit');
        showError(t('login.retry_now'));
        return;
      }
      showError(`${message} ${t('login.retry_in', { seconds: formatNumber(countdown) })}`);
      submit.textContent = t('login.wait', { seconds: formatNumber(countdown) });
      countdown -= 1;
    };
    tick();
    timer = setInterval(tick, 1000);
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (submit.disabled) return;
    showError('');
    email.removeAttribute('aria-invalid');
    password.removeAttribute('aria-invalid');
    if (!email.value.trim() || !password.value) {
      showError(t('login.missing'));
      (email.value.trim() ? password : email).setAttribute('aria-invalid', 'true');
      (email.value.trim() ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t('login.signing_in');
    try {
      const res = await api.post('/api/v1/auth/login', { email: email.value.trim(), password: password.value }, { skipAuthRedirect: true });
      setSession({ user: res && res.user, csrf_token: res && res.csrf_token, modules: [] });
      const me = await loadSession();
      if (!hasStoredLocale() && me.user.locale && LOCALES.includes(me.user.locale) && me.user.locale !== getLocale()) {
        await setLocale(me.user.locale, { persist: false });
      }
      password.value = '';
      await onSignedIn(query.next);
    } catch (err) {
      submit.disabled = false;
      submit.textContent = t('login.submit');
      password.value = '';
      if (err.status === 429 || err.code === 'throttled') {
        startThrottle(err.serverMessage || t('errors.throttled'), err.retryAfter);
      } else if (err.status === 401 || err.code === 'invalid_credentials') {
        showError(err.serverMessage || t('errors.invalid_credentials'));
        password.setAttribute('aria-invalid', 'true');
        password.focus();
      } else {
        showError(err.message);
      }
    }
  });

  const page = h('div', { class: 'login-page' },
    h('main', { class: 'login-card', id: 'main', tabindex: '-1' },
      h('div', { class: 'login-brand' }, h('img', { src: '/img/favicon.svg', alt: '', width: '40', height: '40' }),
        h('div', null, h('p', { class: 'login-app', text: t('app.name') }), h('p', { class: 'muted', text: t('app.tagline') }))),
      h('h1', { id: 'login-heading', text: t('login.title') }),
      query.reason === 'expired' ? h('p', { class: 'notice', role: 'status', text: t('login.expired') }) : null,
      query.reason === 'logout' ? h('p', { class: 'notice', role: 'status', text: t('login.signed_out') }) : null,
      form,
      h('div', { class: 'login-footer' }, icon('globe'), languageSelect({ id: 'login-lang', compact: true }))));
  app.appendChild(page);
  email.focus();
  return () => clearInterval(timer);
}
