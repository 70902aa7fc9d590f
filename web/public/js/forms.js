// Form helpers shared by the admin pages and the modules' pages (host.forms): labelled fields with an error slot, server
// field errors ({"error":{"fields":{name: message}}}) shown beside the inputs, and the common
// handling of 409 (stale version) and 422 (validation) answers.

import { h } from './dom.js';
import { t, localized } from './i18n.js';

let seq = 0;

/**
 * A form model: `field(name, label, input, {required, wide, hint})` returns the row element and
 * remembers the input; `errors(fields)` marks inputs invalid; `reset()` clears the marks.
 */
export function createForm({ idPrefix = `f${++seq}` } = {}) {
  const inputs = {};
  const errors = {};
  const banner = h('div', { class: 'form-error', role: 'alert', hidden: true, tabindex: '-1' });

  function field(name, label, input, { required = false, wide = false, hint = null, hideLabel = false } = {}) {
    const id = input.id || `${idPrefix}-${name.replace(/[^\w-]/g, '-')}`;
    input.id = id;
    if (!input.name) input.name = name;
    const errId = `${id}-err`;
    const hintId = hint ? `${id}-hint` : null;
    errors[name] = h('p', { class: 'field-error', id: errId, hidden: true });
    input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
    if (required && 'required' in input) input.required = true;
    inputs[name] = input;
    const isGroup = input.tagName === 'FIELDSET' || input.tagName === 'DIV' || input.getAttribute('role') === 'group';
    if (isGroup && !input.getAttribute('aria-labelledby')) input.setAttribute('aria-labelledby', `${id}-label`);
    return h('div', { class: ['field', wide ? 'field-wide' : ''] },
      isGroup ? h('span', { class: hideLabel ? 'sr-only' : 'field-label', id: `${id}-label`, text: label })
        : h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
      input,
      hint ? h('p', { class: 'muted small', id: hintId, text: hint }) : null,
      errors[name]);
  }

  function reset() {
    banner.hidden = true;
    banner.textContent = '';
    for (const name of Object.keys(inputs)) {
      errors[name].hidden = true;
      errors[name].textContent = '';
      inputs[name].removeAttribute('aria-invalid');
    }
  }

  /** Shows field messages; unknown fields go to the banner. Focuses the first invalid input. */
  function showErrors(fields) {
    let first = null;
    const other = [];
    for (const [name, msg] of Object.entries(fields || {})) {
      const text = typeof msg === 'string' ? msg : localized(msg) || t('errors.invalid_value');
      const key = inputs[name] ? name : Object.keys(inputs).find((k) => name.startsWith(`${k}.`) || name.startsWith(`${k}[`));
      if (!key) { other.push(`${name}: ${text}`); continue; }
      errors[key].textContent = text;
      errors[key].hidden = false;
      inputs[key].setAttribute('aria-invalid', 'true');
      first = first || inputs[key];
    }
    if (other.length) showBanner([banner.textContent, ...other].filter(Boolean).join(' '));
    if (first) first.focus();
    return !!first;
  }

  function showBanner(content) {
    banner.hidden = false;
    if (content instanceof Node) banner.replaceChildren(content);
    else banner.textContent = content;
    banner.focus();
  }

  /** Standard handling of a failed save: 409 → conflict text (+ optional node), 422 → fields. */
  function fail(err, { conflict } = {}) {
    if (err.status === 409) {
      showBanner(conflict || err.serverMessage || t('errors.conflict'));
    } else if (err.status === 422 || err.code === 'validation_failed') {
      showBanner(err.serverMessage || t('errors.validation_failed'));
      showErrors(err.fields);
    } else {
      showBanner(err.message);
    }
  }

  return { inputs, errors, banner, field, reset, showErrors, showBanner, fail };
}

export function textInput(attrs = {}) {
  return h('input', { type: 'text', autocomplete: 'off', ...attrs });
}

export function selectInput(options, value, attrs = {}) {
  return h('select', attrs, options.map((o) => h('option', { value: String(o.value), selected: String(o.value) === String(value ?? ''), disabled: o.disabled || false, text: o.label })));
}
