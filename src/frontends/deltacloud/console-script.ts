// The console's only script, served from this server (CONTENT_SECURITY_POLICY
// allows no inline or foreign script). Every page works without it; it adds:
// confirmation of destructive actions, forms
// sent in the background (a 400's message shown next to its field, what was
// typed kept, user data base64-encoded, uploads with a progress bar and
// drag-and-drop), pages refreshing while a state changes, sortable tables.
// Plain ES2017 in a string: the browser runs it as served, no build step.
import { CONSOLE_SCRIPT_PATH } from './console.js';

export { CONSOLE_SCRIPT_PATH };

export const CONSOLE_SCRIPT = String.raw`'use strict';
(function () {
  function text(node) { return (node && node.textContent || '').trim(); }

  /** The field a server message is about: it names the parameter ("capacity must be ...", "... 'image_id' ..."). */
  function fieldFor(form, message) {
    var fields = form.querySelectorAll('[data-field]');
    for (var i = 0; i < fields.length; i++) {
      var name = fields[i].getAttribute('data-field');
      if (message.indexOf(name + ' ') === 0 || message.indexOf("'" + name + "'") >= 0 || message.indexOf(' ' + name + ' ') >= 0) return fields[i];
    }
    return null;
  }

  function clearErrors(form) {
    form.querySelectorAll('.field-error').forEach(function (p) { p.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach(function (c) { c.removeAttribute('aria-invalid'); });
    var general = form.querySelector('.form-error');
    if (general) general.remove();
  }

  function showError(form, status, message) {
    var field = fieldFor(form, message);
    var slot = field && field.querySelector('.field-error');
    if (slot) {
      slot.textContent = message;
      var control = field.querySelector('input, select, textarea');
      if (control) { control.setAttribute('aria-invalid', 'true'); control.focus(); }
      return;
    }
    var general = document.createElement('p');
    general.className = 'form-error';
    general.setAttribute('role', 'alert');
    general.textContent = status + ': ' + message;
    form.insertBefore(general, form.firstChild);
  }

  function bodyOf(form) {
    var data = new FormData(form);
    form.querySelectorAll('textarea[data-base64]').forEach(function (area) {
      if (area.value === '') return;
      var bytes = new TextEncoder().encode(area.value);
      var binary = '';
      bytes.forEach(function (b) { binary += String.fromCharCode(b); });
      data.set(area.name, btoa(binary));
    });
    if (form.enctype === 'multipart/form-data') return data;
    var params = new URLSearchParams();
    data.forEach(function (value, key) { params.append(key, value); });
    return params;
  }

  function progressOf(form) {
    var bar = form.querySelector('progress');
    if (!bar) {
      bar = document.createElement('progress');
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute('aria-label', 'Upload progress');
      form.appendChild(bar);
    }
    return bar;
  }

  /** Sends a helper form in the background: the page stays, with what was typed, when the server refuses it. */
  function sendForm(event) {
    var form = event.target;
    event.preventDefault();
    clearErrors(form);
    var button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('Accept', 'text/html');
    if (form.querySelector('input[type=file]')) {
      var bar = progressOf(form);
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100); };
      xhr.upload.onload = function () { bar.value = 100; };
    }
    xhr.onload = function () {
      if (button) button.disabled = false;
      if (xhr.status >= 200 && xhr.status < 300) {
        var finalUrl = xhr.responseURL;
        // Redirected to what was made (303): open it. Answered in place (a command's output): show that page.
        if (finalUrl && finalUrl !== form.action) { location.assign(finalUrl); return; }
        var answer = new DOMParser().parseFromString(xhr.responseText, 'text/html');
        var fresh = answer.querySelector('main');
        var main = document.querySelector('main');
        if (fresh && main) { main.innerHTML = fresh.innerHTML; enhance(main); }
        // Redirected to the action's own URL (a blob after its metadata changed): the address shows that page too.
        var self = fresh && fresh.querySelector('ul.formats a');
        var shown = self && self.href.split('?')[0];
        if (shown && shown !== location.href) { history.replaceState(null, '', shown); document.title = answer.title; }
        return;
      }
      var page = new DOMParser().parseFromString(xhr.responseText, 'text/html');
      // An error page, or the form again with the refusal next to a field or above the form (what a browser without script sees).
      var general = page.querySelector('.form-error');
      var message = text(page.querySelector('.error-message')) || text(page.querySelector('.field-error:not(:empty)')) || (general && general.getAttribute('data-message'));
      showError(form, xhr.status, message || xhr.statusText || 'The request failed');
    };
    xhr.onerror = function () {
      if (button) button.disabled = false;
      showError(form, 0, 'The server could not be reached; nothing was sent. Try again.');
    };
    xhr.send(bodyOf(form));
  }

  function dropFiles(form) {
    var input = form.querySelector('input[type=file]');
    if (!input) return;
    form.classList.add('dropzone');
    form.addEventListener('dragover', function (e) { e.preventDefault(); form.classList.add('dragging'); });
    form.addEventListener('dragleave', function () { form.classList.remove('dragging'); });
    form.addEventListener('drop', function (e) {
      e.preventDefault();
      form.classList.remove('dragging');
      if (e.dataTransfer && e.dataTransfer.files.length) input.files = e.dataTransfer.files;
    });
  }

  function showValue(input) {
    var out = input.parentNode.querySelector('output');
    if (out) out.textContent = input.value;
  }

  /** The profile overrides follow the chosen profile: its ranges (from its option's data-range-*), or hidden and not sent. */
  function profileRanges(form) {
    var select = form.querySelector('select[name=hwp_id]');
    form.querySelectorAll('input[type=range]').forEach(function (input) {
      input.addEventListener('input', function () { showValue(input); });
    });
    if (!select) return;
    function apply() {
      var option = select.options[select.selectedIndex];
      form.querySelectorAll('[data-range]').forEach(function (field) {
        var input = field.querySelector('input[type=range]');
        var range = option && input && option.getAttribute('data-range-' + input.name);
        if (!range) { field.hidden = true; if (input) input.disabled = true; return; }
        var parts = range.split(':');
        var moved = input.min !== parts[0] || input.max !== parts[1];
        input.min = parts[0];
        input.max = parts[1];
        if (moved || input.disabled) input.value = parts[2];
        input.disabled = false;
        field.hidden = false;
        var bounds = field.querySelector('.range-bounds');
        if (bounds) bounds.textContent = parts[0] + ' to ' + parts[1];
        showValue(input);
      });
    }
    select.addEventListener('change', apply);
    apply();
  }

  function sortable(table) {
    var heads = table.querySelectorAll('thead th');
    heads.forEach(function (th, column) {
      if (text(th) === 'Actions') return;
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort';
      button.textContent = text(th);
      th.textContent = '';
      th.appendChild(button);
      button.addEventListener('click', function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = text(a.cells[column]), y = text(b.cells[column]);
          var order = x.localeCompare(y, undefined, { numeric: true });
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  /** While a state shown here is changing, fetch the page again (1 s, then slower) and show the new one. */
  var polling = false;
  function pollWhileChanging(delay) {
    if (polling || !document.querySelector('main [data-transitional]')) return;
    polling = true;
    setTimeout(function () {
      var main = document.querySelector('main');
      // Someone is using a control on the page: keep it in place and look again shortly.
      if (main && main.contains(document.activeElement) && document.activeElement !== main) {
        polling = false;
        pollWhileChanging(delay);
        return;
      }
      fetch(location.href, { headers: { Accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin' })
        .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
          var now = document.querySelector('main');
          if (fresh && now) { now.innerHTML = fresh.innerHTML; enhance(now); }
          polling = false;
          pollWhileChanging(Math.min(delay * 1.5, 15000));
        })
        .catch(function () { polling = false; pollWhileChanging(Math.min(delay * 2, 30000)); });
    }, delay);
  }

  function enhance(root) {
    root.querySelectorAll('form[data-confirm]').forEach(function (form) {
      form.addEventListener('submit', function (e) { if (!window.confirm(form.getAttribute('data-confirm'))) e.preventDefault(); });
    });
    root.querySelectorAll('form.resource').forEach(function (form) {
      form.addEventListener('submit', sendForm);
      dropFiles(form);
      profileRanges(form);
    });
    root.querySelectorAll('table[data-sortable]').forEach(sortable);
    pollWhileChanging(1000);
  }

  document.addEventListener('DOMContentLoaded', function () {
    enhance(document);
  });
})();
`;
