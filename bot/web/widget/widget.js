/* Dalil web chat widget: plain JS, no framework. `io` (Socket.IO client) and `CSS` are
   provided by the bundle (bot/web/widget/build.py). Speaks Rasa's socket.io channel:
   session_request/session_confirm, user_uttered/bot_uttered. Message text is only ever
   inserted as text nodes. */
if (window.DalilWidget) return;

var LANGS = ['en', 'fr', 'nl', 'ar'];
var NAMES = {en: 'English', fr: 'Français', nl: 'Nederlands', ar: 'العربية'};
var TEXT = {
  en: {title: 'Dalil', open: 'Open chat with Dalil', close: 'Close chat', menu: 'Menu',
    language: 'Language', erase: 'Erase my conversation', erased: 'Your conversation was erased.',
    eraseFailed: 'The conversation could not be erased. Please try again.',
    offline: 'No connection to Dalil. Reconnecting… Your messages will be sent as soon as the connection is back.',
    placeholder: 'Write your message…', send: 'Send', typing: 'Dalil is writing…',
    pending: 'Not sent yet', log: 'Conversation', image: 'Image sent by Dalil',
    noAnswer: 'Dalil could not answer just now. Please try again in a moment.'},
  fr: {title: 'Dalil', open: 'Ouvrir la discussion avec Dalil', close: 'Fermer la discussion', menu: 'Menu',
    language: 'Langue', erase: 'Effacer ma conversation', erased: 'Votre conversation a été effacée.',
    eraseFailed: "La conversation n'a pas pu être effacée. Veuillez réessayer.",
    offline: 'Pas de connexion avec Dalil. Reconnexion… Vos messages seront envoyés dès le retour de la connexion.',
    placeholder: 'Écrivez votre message…', send: 'Envoyer', typing: 'Dalil écrit…',
    pending: 'Pas encore envoyé', log: 'Conversation', image: 'Image envoyée par Dalil',
    noAnswer: "Dalil n'a pas pu répondre pour le moment. Veuillez réessayer dans un instant."},
  nl: {title: 'Dalil', open: 'Chat met Dalil openen', close: 'Chat sluiten', menu: 'Menu',
    language: 'Taal', erase: 'Mijn gesprek wissen', erased: 'Je gesprek is gewist.',
    eraseFailed: 'Het gesprek kon niet worden gewist. Probeer het opnieuw.',
    offline: 'Geen verbinding met Dalil. Opnieuw verbinden… Je berichten worden verstuurd zodra de verbinding terug is.',
    placeholder: 'Typ je bericht…', send: 'Verzenden', typing: 'Dalil typt…',
    pending: 'Nog niet verzonden', log: 'Gesprek', image: 'Afbeelding van Dalil',
    noAnswer: 'Dalil kon nu niet antwoorden. Probeer het zo opnieuw.'},
  ar: {title: 'دليل', open: 'افتح المحادثة مع دليل', close: 'أغلق المحادثة', menu: 'القائمة',
    language: 'اللغة', erase: 'امسح محادثتي', erased: 'تم مسح محادثتك.',
    eraseFailed: 'تعذّر مسح المحادثة. يرجى المحاولة مرة أخرى.',
    offline: 'لا يوجد اتصال بدليل. جارٍ إعادة الاتصال… ستُرسَل رسائلك فور عودة الاتصال.',
    placeholder: 'اكتب رسالتك…', send: 'إرسال', typing: 'دليل يكتب…',
    pending: 'لم تُرسَل بعد', log: 'المحادثة', image: 'صورة أرسلها دليل',
    noAnswer: 'تعذّر على دليل الرد الآن. يرجى المحاولة مرة أخرى بعد قليل.'}
};
// A few frequent words per Latin-script language, to follow the language the bot answers in.
var WORDS = {
  en: ' the you your to and are for of with can what where this need help ',
  fr: ' le la les des une vous votre vos est pour et du dans sur avec pas où quoi besoin aide ',
  nl: ' het een jij u voor van niet ik met op wat waar kan jouw uw hulp nodig zijn '
};
var RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/g;
var LTR = /[A-Za-z\u00C0-\u024F]/g;
var URL_RE = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|https?:\/\/[^\s<>"]+/g;
var ACK_MS = 60000;
var MAX_KEPT = 100;

var script = document.currentScript || document.querySelector('script[src*="dalil"]');
var ds = (script && script.dataset) || {};
var origin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
var SERVER = (ds.serverUrl || origin).replace(/\/+$/, '');
var API = (ds.apiUrl || origin).replace(/\/+$/, '');
var KEY = 'dalil:' + SERVER;

function norm(code) {
  code = String(code || '').toLowerCase().split(/[-_]/)[0];
  return LANGS.indexOf(code) >= 0 ? code : '';
}
function newId() {
  var b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
}
function load() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch (e) { return null; }
}
function save() {
  st.msgs = st.msgs.slice(-MAX_KEPT);
  try { localStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* storage off: memory only */ }
}
function fresh(lang, open) {
  return {sid: newId(), lang: lang, open: !!open, msgs: [], outbox: []};
}

var st = load();
if (!st || !st.sid || !Array.isArray(st.msgs) || !Array.isArray(st.outbox)) {
  st = fresh(norm(ds.lang) || norm(navigator.language) || 'en', ds.open === 'true');
}
st.lang = norm(st.lang) || 'en';
function T() { return TEXT[st.lang]; }

// ---- DOM helpers: attributes and text only, never HTML strings ----
function h(tag, attrs, kids) {
  var el = document.createElement(tag);
  for (var k in attrs || {}) if (attrs[k] != null && attrs[k] !== false) el.setAttribute(k, attrs[k]);
  (kids || []).forEach(function (c) { el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return el;
}
function icon(d) {
  var ns = 'http://www.w3.org/2000/svg', svg = document.createElementNS(ns, 'svg'), p = document.createElementNS(ns, 'path');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  p.setAttribute('d', d);
  svg.appendChild(p);
  return svg;
}
function dirOf(text) {
  text = String(text || '').replace(URL_RE, '');
  return (text.match(RTL) || []).length > (text.match(LTR) || []).length ? 'rtl' : 'ltr';
}
function guessLang(text) {
  if (dirOf(text) === 'rtl') return 'ar';
  var words = String(text).toLowerCase().replace(URL_RE, '').match(/[a-zà-ÿ']+/g) || [], best = '', top = 1, second = 0;
  LANGS.slice(0, 3).forEach(function (l) {
    var n = words.filter(function (w) { return WORDS[l].indexOf(' ' + w + ' ') >= 0; }).length;
    if (n > top) { second = top; top = n; best = l; } else if (n > second) second = n;
  });
  return top > second ? best : '';
}
// Text with links: [label](url) and bare http(s) URLs become <a>, the rest text nodes.
function rich(el, text) {
  var last = 0;
  text.replace(URL_RE, function (all, label, href, at) {
    var url = href || all.replace(/[.,;:!?)\]]+$/, '');
    el.appendChild(document.createTextNode(text.slice(last, at)));
    el.appendChild(h('a', {href: url, target: '_blank', rel: 'noopener noreferrer nofollow'}, [label || url]));
    last = at + (href ? all.length : url.length);
    return all;
  });
  el.appendChild(document.createTextNode(text.slice(last)));
}

// ---- the interface ----
var root = h('div', {'class': 'dalil'});
var launcher = h('button', {'class': 'dalil-launcher', type: 'button', 'data-testid': 'dalil-launcher',
  'aria-controls': 'dalil-panel', 'aria-expanded': 'false'},
  [icon('M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z')]);
var title = h('h2', {'class': 'dalil-title', id: 'dalil-title'});
var menuBtn = h('button', {'class': 'dalil-icon', type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
  'aria-controls': 'dalil-menu', 'data-testid': 'dalil-menu-button'},
  [icon('M12 7a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 7a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 7a2 2 0 1 0 0-4 2 2 0 0 0 0 4z')]);
var closeBtn = h('button', {'class': 'dalil-icon', type: 'button', 'data-testid': 'dalil-close'},
  [icon('M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z')]);
var langLabel = h('div', {'class': 'dalil-menu-label', id: 'dalil-lang-label'});
var langItems = LANGS.map(function (l) {
  return h('button', {type: 'button', role: 'menuitemradio', lang: l, 'data-lang': l, 'data-testid': 'dalil-language', tabindex: '-1'}, [NAMES[l]]);
});
var eraseBtn = h('button', {type: 'button', role: 'menuitem', 'class': 'dalil-erase', 'data-testid': 'dalil-erase', tabindex: '-1'});
var menu = h('div', {'class': 'dalil-menu', id: 'dalil-menu', role: 'menu', hidden: ''}, [
  langLabel, h('div', {role: 'group', 'aria-labelledby': 'dalil-lang-label'}, langItems),
  h('hr', {role: 'separator'}), eraseBtn]);
var notice = h('p', {'class': 'dalil-notice', role: 'status', 'data-testid': 'dalil-notice', hidden: ''});
var note = h('p', {'class': 'dalil-note', role: 'status', 'data-testid': 'dalil-note', hidden: ''});
var log = h('div', {'class': 'dalil-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
  tabindex: '0', 'data-testid': 'dalil-log'});
var typing = h('div', {'class': 'dalil-typing', 'data-testid': 'dalil-typing', hidden: ''},
  [h('i'), h('i'), h('i'), h('span', {'class': 'dalil-sr'})]);
var replies = h('div', {'class': 'dalil-qr', 'data-testid': 'dalil-quick-replies'});
var input = h('input', {'class': 'dalil-input', type: 'text', 'data-testid': 'dalil-input', autocomplete: 'off',
  enterkeyhint: 'send', maxlength: '2000', dir: 'auto'});
var sendBtn = h('button', {'class': 'dalil-send', type: 'submit', 'data-testid': 'dalil-send'},
  [icon('M3 20.5 21 12 3 3.5V10l12 2-12 2z')]);
var form = h('form', {'class': 'dalil-form'}, [input, sendBtn]);
var panel = h('section', {'class': 'dalil-panel', id: 'dalil-panel', role: 'dialog', 'aria-modal': 'false',
  'aria-labelledby': 'dalil-title', 'data-testid': 'dalil-panel', hidden: ''},
  [h('div', {'class': 'dalil-head'}, [title, menuBtn, closeBtn, menu]), notice, note, log, typing, replies, form]);
root.appendChild(panel);
root.appendChild(launcher);

if (ds.color) root.style.setProperty('--dalil-c', ds.color);
if (ds.textColor) root.style.setProperty('--dalil-ct', ds.textColor);

function applyLang() {
  var t = T(), rtl = st.lang === 'ar' ? 'rtl' : 'ltr';
  [root, panel].forEach(function (el) { el.setAttribute('lang', st.lang); el.setAttribute('dir', rtl); });
  title.textContent = ds.title || t.title;
  launcher.setAttribute('aria-label', t.open);
  menuBtn.setAttribute('aria-label', t.menu);
  closeBtn.setAttribute('aria-label', t.close);
  langLabel.textContent = t.language;
  eraseBtn.textContent = t.erase;
  notice.textContent = t.offline;
  log.setAttribute('aria-label', t.log);
  typing.lastChild.textContent = t.typing;
  input.setAttribute('placeholder', t.placeholder);
  input.setAttribute('aria-label', t.placeholder);
  sendBtn.setAttribute('aria-label', t.send);
  langItems.forEach(function (b) { b.setAttribute('aria-checked', String(b.dataset.lang === st.lang)); });
  [].forEach.call(log.querySelectorAll('[data-pending]'), function (el) { el.setAttribute('data-pending', t.pending); });
}

function msgEl(m) {
  var el = h('div', {'class': 'dalil-msg dalil-' + (m.f === 'u' ? 'user' : 'bot'), 'data-testid': 'dalil-message',
    'data-from': m.f === 'u' ? 'user' : 'bot', 'data-id': m.id, dir: dirOf(m.t), lang: guessLang(m.t) || null});
  if (m.t) rich(el, m.t);
  if (m.img) el.appendChild(h('img', {src: m.img, alt: T().image, loading: 'lazy'}));
  if (m.p) el.setAttribute('data-pending', T().pending);
  return el;
}
// The quick replies of the bot's latest turn, until the user says something.
function renderReplies() {
  var i = st.msgs.length - 1;
  while (i >= 0 && st.msgs[i].f === 'b' && !st.msgs[i].q) i--;
  replies.replaceChildren();
  ((i >= 0 && st.msgs[i].f === 'b' && st.msgs[i].q) || []).forEach(function (q) {
    var b = h('button', {type: 'button', 'data-testid': 'dalil-quick-reply', dir: dirOf(q.t)}, [q.t]);
    b.addEventListener('click', function (e) {
      send(q.p, q.t);
      if (!e.detail) input.focus(); // pressed from the keyboard: keep the focus in the chat
    });
    replies.appendChild(b);
  });
  replies.hidden = !replies.firstChild;
}
function renderAll() {
  log.replaceChildren.apply(log, st.msgs.map(msgEl));
  renderReplies();
  scroll();
}
function scroll() { log.scrollTop = log.scrollHeight; }
function add(m) {
  st.msgs.push(m);
  save();
  log.appendChild(msgEl(m));
  renderReplies();
  scroll();
}
function showNote(text, warn) {
  note.textContent = text;
  note.classList.toggle('dalil-warn', !!warn);
  note.hidden = false;
  clearTimeout(showNote.timer);
  showNote.timer = setTimeout(function () { note.hidden = true; }, 8000);
}

// ---- the conversation over socket.io ----
var socket = null, ready = false, flying = null, offline = false;
var meta = {language_hint: navigator.language || st.lang, channel: 'web'};

function status() {
  notice.hidden = !offline;
  typing.hidden = !(flying && ready);
}
function connect() {
  if (socket) return;
  // A path in the server URL (Rasa behind a proxy at /rasa) is where socket.io lives, not a namespace.
  var url = new URL(SERVER, location.href);
  socket = io(url.origin, {path: ds.socketPath || url.pathname.replace(/\/$/, '') + '/socket.io'});
  socket.on('connect', function () { socket.emit('session_request', {session_id: st.sid}); });
  socket.on('session_confirm', function () { ready = true; offline = false; status(); flush(); });
  socket.on('connect_error', function () { offline = true; status(); });
  socket.on('disconnect', function (reason) {
    ready = false;
    offline = reason !== 'io client disconnect';
    status();
    if (reason === 'io server disconnect') setTimeout(function () { socket.connect(); }, 1000);
  });
  socket.on('bot_uttered', onBot);
}
function delivered(item) {
  item.done = true;
  st.outbox = st.outbox.filter(function (x) { return x.id !== item.id; });
  st.msgs.forEach(function (m) { if (m.id === item.id) delete m.p; });
  var el = log.querySelector('[data-id="' + item.id + '"]');
  if (el) el.removeAttribute('data-pending');
  save();
}
// One message at a time, in order; each stays queued (and in storage) until Rasa acks it
// or answers, so nothing typed offline or before a reload is lost.
function flush() {
  if (!ready || flying || !st.outbox.length) return status();
  var item = flying = st.outbox[0];
  socket.timeout(ACK_MS).emit('user_uttered',
    {message: item.text, session_id: st.sid, metadata: meta, customData: meta}, function (err) {
      if (flying !== item) return;
      flying = null;
      if (!err) delivered(item);
      // Rasa took the message but said nothing (e.g. the action server is down): say so.
      if (!err && !item.answered) showNote(T().noAnswer, true);
      if (!err || ready) setTimeout(flush, err ? 2000 : 0);
      status();
    });
  status();
}
function send(text, shown) {
  var m = {f: 'u', t: shown || text, id: newId(), p: 1};
  st.outbox.push({id: m.id, text: text});
  add(m);
  connect();
  flush();
}
function onBot(d) {
  if (!d || typeof d !== 'object') return;
  if (flying) {
    flying.answered = true;
    if (!flying.done) delivered(flying);
  }
  var m = {f: 'b', t: typeof d.text === 'string' ? d.text : ''};
  var q = d.quick_replies || d.buttons;
  if (Array.isArray(q)) {
    q = q.filter(function (b) { return b && (b.payload || b.title); }).map(function (b) {
      return {t: String(b.title || b.payload), p: String(b.payload || b.title)};
    });
    if (q.length) m.q = q;
  }
  var a = d.attachment, src = a && a.type === 'image' && a.payload ? a.payload.src || a.payload.url : d.image;
  if (typeof src === 'string' && /^https?:\/\//i.test(src)) m.img = src;
  if (!m.t && !m.img && !m.q) return;
  add(m);
  var lang = m.t && guessLang(m.t);
  if (lang && lang !== st.lang) { st.lang = lang; save(); applyLang(); }
}

// ---- actions ----
function open(focus) {
  connect();
  st.open = true;
  save();
  panel.hidden = false;
  root.classList.add('dalil-open');
  launcher.setAttribute('aria-expanded', 'true');
  scroll();
  if (focus !== false) input.focus();
}
function close() {
  closeMenu();
  st.open = false;
  save();
  panel.hidden = true;
  root.classList.remove('dalil-open');
  launcher.setAttribute('aria-expanded', 'false');
  launcher.focus();
}
function setLanguage(lang) {
  lang = norm(lang);
  if (!lang) return;
  st.lang = lang;
  save();
  applyLang();
  send('/choose_language{"language":"' + lang + '"}', NAMES[lang]);
}
function erase() {
  closeMenu(true);
  return fetch(API + '/api/conversations/' + encodeURIComponent(st.sid) + '/erase', {method: 'POST'})
    .then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      st = fresh(st.lang, st.open);
      save();
      renderAll();
      flying = null;
      ready = false;
      if (socket) socket.disconnect().connect();
      status();
      showNote(T().erased);
    })
    .catch(function () { showNote(T().eraseFailed, true); });
}
var items = langItems.concat(eraseBtn);
function openMenu() {
  menu.hidden = false;
  menuBtn.setAttribute('aria-expanded', 'true');
  (langItems.filter(function (b) { return b.dataset.lang === st.lang; })[0] || items[0]).focus();
}
function closeMenu(focus) {
  if (menu.hidden) return;
  menu.hidden = true;
  menuBtn.setAttribute('aria-expanded', 'false');
  if (focus) menuBtn.focus();
}

launcher.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
closeBtn.addEventListener('click', close);
menuBtn.addEventListener('click', function () { if (menu.hidden) openMenu(); else closeMenu(true); });
langItems.forEach(function (b) {
  b.addEventListener('click', function () { closeMenu(); input.focus(); setLanguage(b.dataset.lang); });
});
eraseBtn.addEventListener('click', function () { erase(); input.focus(); });
menu.addEventListener('keydown', function (e) {
  var i = items.indexOf(document.activeElement), n = items.length, to = -1;
  if (e.key === 'ArrowDown') to = (i + 1) % n;
  else if (e.key === 'ArrowUp') to = (i - 1 + n) % n;
  else if (e.key === 'Home') to = 0;
  else if (e.key === 'End') to = n - 1;
  else if (e.key === 'Escape') { e.stopPropagation(); closeMenu(true); }
  else if (e.key === 'Tab') closeMenu();
  if (to >= 0) { e.preventDefault(); items[to].focus(); }
});
panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
document.addEventListener('click', function (e) {
  if (!menu.hidden && !menu.contains(e.target) && !menuBtn.contains(e.target)) closeMenu();
});
form.addEventListener('submit', function (e) {
  e.preventDefault();
  var shown = input.value.trim();
  // A typed "/intent" must not trigger an intent: only buttons send payloads.
  var text = shown.replace(/^[\s/]+/, '');
  if (!text) return;
  input.value = '';
  send(text, shown);
});

function mount() {
  document.body.appendChild(root);
  var style = document.createElement('style');
  style.textContent = CSS;
  document.head.appendChild(style);
  if (!ds.textColor && ds.color) {
    // Pick black or white text on the site's colour, whichever contrasts more.
    var rgb = getComputedStyle(launcher).backgroundColor.match(/\d+(\.\d+)?/g) || [0, 0, 0];
    var lum = rgb.slice(0, 3).reduce(function (s, v, i) {
      v /= 255;
      return s + [0.2126, 0.7152, 0.0722][i] * (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    }, 0);
    root.style.setProperty('--dalil-ct', 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 ? '#fff' : '#111');
  }
  applyLang();
  renderAll();
  status();
  if (st.open) open(false);
  else if (st.outbox.length) connect();
}

window.DalilWidget = {
  open: open, close: close, erase: erase, setLanguage: setLanguage,
  send: function (text) { send(String(text).replace(/^[\s/]+/, ''), String(text)); },
  get sessionId() { return st.sid; }
};
if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
