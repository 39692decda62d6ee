/// The gallery's one script: rooms, a room's thumbnail grid with search, type tabs, infinite scroll, preview,
/// uploads by drag-and-drop and paste, and live updates from the room's event stream. Plain DOM, no framework, no
/// build step; everything it shows comes from the same `/v1` API any client uses, through the session cookie.
enum GalleryScript {
    static let text = #"""
'use strict';
(() => {
  const app = document.getElementById('app');
  const signOut = document.getElementById('sign-out');
  if (signOut) {
    signOut.addEventListener('click', async () => {
      await fetch('/session', { method: 'DELETE', credentials: 'same-origin' });
      location.href = '/';
    });
  }
  if (!app) {
    // The sign-in page. A link followed from another site arrives without the SameSite=Strict cookie although the
    // browser is signed in; asked from this page, the API sees it, and the browser goes on to where it was going.
    const next = document.querySelector('input[name=next]');
    if (next) {
      fetch('/v1/me', { credentials: 'same-origin' }).then((response) => {
        if (response.ok) location.replace(next.value || '/');
      }).catch(() => { });
    }
    return;
  }

  const statusBox = document.getElementById('status');
  const say = (text) => { statusBox.textContent = ''; setTimeout(() => { statusBox.textContent = text; }, 50); };

  async function api(path, options = {}) {
    const response = await fetch(path, { credentials: 'same-origin', ...options });
    if (response.status === 401) { location.href = '/?next=' + encodeURIComponent(location.pathname + location.search); }
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error((body && body.error && body.error.message) || response.statusText);
      error.code = body && body.error && body.error.code;
      error.position = body && body.error && body.error.position;
      throw error;
    }
    return body;
  }

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function size(bytes) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return (unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)) + ' ' + units[unit];
  }

  // Spaces as %20, not URLSearchParams' '+': tackd reads a query's '+' as a plus (a search for c++).
  const params = (values) => Object.entries(values).map(([key, value]) => key + '=' + encodeURIComponent(value)).join('&');
  const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const roomID = app.dataset.room || null;
  let rooms = [];

  async function loadRooms() {
    rooms = (await api('/v1/rooms')).items;
    const list = document.getElementById('rooms');
    list.replaceChildren(...rooms.map((room) => el('li', {}, el('a', {
      href: '/rooms/' + room.id, 'aria-current': room.id === roomID ? 'page' : null,
    }, room.name))));
    if (!rooms.length) list.append(el('li', { class: 'hint' }, 'You are in no rooms yet.'));
    const current = rooms.find((room) => room.id === roomID);
    if (current) {
      document.getElementById('room-name').textContent = current.name;
      document.title = current.name + ' · Tack';
    }
  }

  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey && event.shiftKey && (event.key === 'F' || event.key === 'f')) {
      const search = document.getElementById('q');
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && rooms.length) {
      event.preventDefault();
      const index = rooms.findIndex((room) => room.id === roomID);
      const next = index < 0 ? 0 : (index + (event.key === 'ArrowDown' ? 1 : rooms.length - 1)) % rooms.length;
      location.href = '/rooms/' + rooms[next].id;
    }
  });

  if (app.dataset.view !== 'room') { loadRooms().catch((error) => say(error.message)); return; }

  // A room: the grid, its search and tabs, the preview, uploads, and live events.
  const grid = document.getElementById('grid');
  const form = document.getElementById('search');
  const input = document.getElementById('q');
  const errorBox = document.getElementById('q-error');
  const tabs = document.getElementById('tabs');
  const more = document.getElementById('more');
  const dialog = document.getElementById('preview');
  const types = ['image', 'video', 'audio', 'document', 'archive', 'link', 'screenshot', 'other'];
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  let query = new URLSearchParams(location.search).get('q') || '';
  let type = '';
  let cursor = null, done = false, loading = null, generation = 0;
  let shown = [];
  let me = null;
  input.value = query;

  const fullQuery = () => [query, type ? 'type:' + type : ''].filter(Boolean).join(' ');
  const listPath = (extra) => '/v1/rooms/' + roomID + '/attachments?' + params({ q: fullQuery(), tz: zone, ...extra });

  function thumbnail(attachment) {
    const state = attachment.thumbnail && attachment.thumbnail.state;
    if (state === 'ready' || state === 'pending') {
      return el('img', { class: 'thumb', alt: '', loading: 'lazy', src: '/v1/attachments/' + attachment.id + '/thumbnail?size=320' });
    }
    const ext = attachment.name.includes('.') ? attachment.name.split('.').pop().slice(0, 5) : (attachment.types || ['file'])[0];
    return el('div', { class: 'thumb', 'aria-hidden': 'true' }, ext);
  }

  // The passage of a file's text a search matched, its words marked; offsets are UTF-16, as slice() counts.
  function snippet(found) {
    if (!found) return null;
    const parts = [];
    let at = 0;
    for (const mark of found.highlights) {
      if (mark.start < at) continue;
      parts.push(found.text.slice(at, mark.start), el('mark', {}, found.text.slice(mark.start, mark.start + mark.length)));
      at = mark.start + mark.length;
    }
    parts.push(found.text.slice(at));
    return el('span', { class: 'snippet' }, parts);
  }

  function tile(attachment) {
    const button = el('button', { type: 'button', class: 'tile', 'data-id': attachment.id,
      'aria-label': attachment.name + ', from ' + attachment.uploader + ', ' + when(attachment.createdAt) + ', ' + size(attachment.size),
      onclick: () => open(attachment.id) },
      thumbnail(attachment),
      el('span', { class: 'meta' },
        el('span', { class: 'name' }, attachment.name),
        el('span', { class: 'sub' }, attachment.uploader + ' · ' + when(attachment.createdAt)),
        el('span', { class: 'sub' }, size(attachment.size)),
        snippet(attachment.snippet)));
    return el('li', { 'data-id': attachment.id }, button);
  }

  async function loadMore() {
    if (done || loading) return loading;
    const mine = generation;
    loading = (async () => {
      const page = await api(listPath(cursor ? { limit: 50, cursor } : { limit: 50 }));
      if (mine !== generation) return;
      shown = shown.concat(page.items);
      grid.append(...page.items.map(tile));
      cursor = page.next || null;
      done = !cursor;
      more.textContent = done ? (shown.length ? '' : 'Nothing here matches.') : 'Loading more…';
    })();
    const request = loading;
    // A search or tab chosen meanwhile started over: only this call's own request may be cleared, and an old
    // request must not go on loading pages of the old search.
    try { await request; } finally { if (loading === request) loading = null; }
    if (mine !== generation) return;
    if (!done && more.getBoundingClientRect().top < innerHeight * 2) loadMore().catch(showError);
  }

  async function loadSummary() {
    const summary = await api('/v1/rooms/' + roomID + '/attachments/summary?' + params({ q: query, tz: zone }));
    // One tab in the focus order (the selected one); the arrow keys move between them, as ARIA's tabs pattern has it.
    const tab = (value, label, count) => el('button', { type: 'button', role: 'tab', 'aria-selected': String(type === value),
      'aria-controls': 'grid', tabindex: type === value ? '0' : '-1',
      'data-type': value, onclick: () => { type = value; reload(); } }, label + ' (' + count + ')');
    tabs.replaceChildren(tab('', 'All', summary.total.count),
      ...types.filter((name) => summary.types[name].count > 0 || name === type)
        .map((name) => tab(name, name[0].toUpperCase() + name.slice(1), summary.types[name].count)));
  }

  tabs.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const all = Array.from(tabs.querySelectorAll('[role=tab]'));
    const index = all.indexOf(document.activeElement);
    if (index < 0) return;
    event.preventDefault();
    all[(index + (event.key === 'ArrowRight' ? 1 : all.length - 1)) % all.length].focus();
  });

  function showError(error) {
    if (error.code !== 'bad_query') { say(error.message); return; }
    errorBox.hidden = false;
    errorBox.replaceChildren(error.message);
    if (typeof error.position === 'number') {
      const chars = Array.from(query);
      errorBox.append(el('br'), el('code', {}, chars.slice(0, error.position).join(''),
        el('mark', {}, chars[error.position] || ' '), chars.slice(error.position + 1).join('')));
    }
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'q-error q-help');
  }

  async function reload() {
    generation += 1;
    grid.replaceChildren();
    shown = []; cursor = null; done = false; loading = null;
    errorBox.hidden = true;
    input.removeAttribute('aria-invalid');
    input.setAttribute('aria-describedby', 'q-help');
    try {
      await Promise.all([loadSummary(), loadMore()]);
      say(shown.length + (done ? '' : '+') + ' attachments');
    } catch (error) {
      showError(error);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    query = input.value.trim();
    history.replaceState(null, '', query ? '?q=' + encodeURIComponent(query) : location.pathname);
    reload();
  });

  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadMore().catch(showError);
  }, { rootMargin: '400px' }).observe(more);

  // The preview: images full size, everything else as a download.
  let previewIndex = -1;
  let returnFocus = null;
  function renderPreview() {
    const attachment = shown[previewIndex];
    document.getElementById('preview-title').textContent = attachment.name;
    const body = document.getElementById('preview-body');
    const content = '/v1/attachments/' + attachment.id + '/content';
    const isImage = /^image\/(png|jpeg|gif|webp)/.test(attachment.contentType);
    body.replaceChildren(
      isImage ? el('img', { src: content, alt: attachment.name }) : el('p', {}, attachment.contentType + ', ' + size(attachment.size)),
      el('p', {}, el('a', { href: content, download: attachment.name }, 'Download'), ' · from ' + attachment.uploader + ', ' + when(attachment.createdAt)));
  }
  function open(id) {
    previewIndex = shown.findIndex((attachment) => attachment.id === id);
    if (previewIndex < 0) return;
    returnFocus = document.activeElement;
    renderPreview();
    dialog.showModal();
  }
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    const next = previewIndex + (event.key === 'ArrowRight' ? 1 : -1);
    if (next >= 0 && next < shown.length) { previewIndex = next; renderPreview(); }
  });
  dialog.addEventListener('close', () => {
    const id = shown[previewIndex] && shown[previewIndex].id;
    const target = id && grid.querySelector('li[data-id="' + id + '"] button');
    (target || returnFocus || input).focus();
  });
  document.getElementById('preview-close').addEventListener('click', () => dialog.close());

  // Uploads: dropped files and pasted images, one after another, with a progress bar.
  const drop = document.getElementById('drop');
  const progress = document.getElementById('progress');
  function upload(file, name) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open('POST', '/v1/rooms/' + roomID + '/attachments?name=' + encodeURIComponent(name));
      request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      request.upload.onprogress = (event) => { if (event.lengthComputable) progress.value = event.loaded / event.total; };
      request.onload = () => {
        if (request.status >= 200 && request.status < 300) resolve(JSON.parse(request.responseText));
        else {
          let message = request.statusText;
          try { message = JSON.parse(request.responseText).error.message; } catch (_) { }
          reject(new Error(message));
        }
      };
      request.onerror = () => reject(new Error('the upload failed; check the connection'));
      request.send(file);
    });
  }
  async function send(files) {
    progress.hidden = false;
    for (const [file, name] of files) {
      progress.value = 0;
      say('Uploading ' + name);
      try {
        const attachment = await upload(file, name);
        add([attachment]);
        say(name + ' added');
      } catch (error) {
        say(name + ': ' + error.message);
      }
    }
    progress.hidden = true;
  }
  ['dragenter', 'dragover'].forEach((kind) => document.addEventListener(kind, (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types || []).includes('Files')) {
      event.preventDefault(); drop.classList.add('over');
    }
  }));
  document.addEventListener('dragleave', () => drop.classList.remove('over'));
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const files = Array.from((event.dataTransfer && event.dataTransfer.files) || []);
    if (files.length) send(files.map((file) => [file, file.name]));
  });
  document.addEventListener('paste', (event) => {
    if (event.target === input) return;
    const files = Array.from((event.clipboardData && event.clipboardData.files) || []).filter((file) => file.type.startsWith('image/'));
    if (!files.length) return;
    event.preventDefault();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    send(files.map((file, index) => [file, 'pasted-' + stamp + (index ? '-' + index : '') + '.' + (file.type.split('/')[1] || 'png')]));
  });

  // Live: new files that match what is shown appear at the top, thumbnails fill in, deleted files go.
  function add(attachments) {
    const fresh = attachments.filter((attachment) => !shown.some((known) => known.id === attachment.id));
    if (!fresh.length) return;
    shown = fresh.concat(shown);
    grid.prepend(...fresh.map(tile));
  }
  async function refreshTop() {
    const mine = generation;
    try {
      const page = await api(listPath({ limit: 50 }));
      if (mine === generation) add(page.items);
      await loadSummary();
    } catch (error) { say(error.message); }
  }
  function replace(attachment) {
    const index = shown.findIndex((known) => known.id === attachment.id);
    if (index < 0) return;
    shown[index] = attachment;
    const old = grid.querySelector('li[data-id="' + attachment.id + '"]');
    if (old) old.replaceWith(tile(attachment));
  }
  const events = new EventSource('/v1/rooms/' + roomID + '/events');
  const data = (event) => JSON.parse(event.data);
  events.addEventListener('attachment.created', () => refreshTop());
  events.addEventListener('attachment.thumbnailed', (event) => { const d = data(event); if (d.attachment) replace(d.attachment); });
  events.addEventListener('attachment.text', (event) => { const d = data(event); if (d.attachment) replace(d.attachment); });
  events.addEventListener('attachment.deleted', (event) => {
    const id = data(event).attachmentId;
    shown = shown.filter((known) => known.id !== id);
    const old = grid.querySelector('li[data-id="' + id + '"]');
    if (old) old.remove();
    loadSummary().catch(() => { });
  });
  events.addEventListener('member.removed', (event) => { if (data(event).user === me) location.href = '/'; });
  events.addEventListener('reset', () => reload());

  api('/v1/me').then((user) => { me = user.name; }).catch(() => { });
  loadRooms().catch((error) => say(error.message));
  // A gallery link (/attachments/ID) lands here with ?open=ID: the file opens, fetched if it is not on the first page.
  const opening = new URLSearchParams(location.search).get('open');
  reload().then(async () => {
    if (!opening) return;
    if (!shown.some((known) => known.id === opening)) add([await api('/v1/attachments/' + encodeURIComponent(opening))]);
    open(opening);
  }).catch((error) => say(error.message));
})();
"""#
}
