// <incontext-demo> — the demo inside an article:
//
//   <script type="module" src="https://your.host/incontext/incontext-demo.js"></script>
//   <incontext-demo model="linear+sinusoid" points="-1,0.5;0,0.2;1.2,-0.4" height="420"></incontext-demo>
//   <incontext-demo compare="linear,linear+sinusoid" points="…"></incontext-demo>
//   <incontext-demo truth="sinusoid(omega_lo=5,omega_hi=5)" seed="3" sigma="0.1" k="20"
//                   vary="omega" readonly caption="A frequency outside the trained band"></incontext-demo>
//
// Attributes (README "Embedding" lists them for authors; each becomes a key of embed.html's
// URL hash, lib/state.js):
//   model      an id from models/manifest.json (default: the manifest's default)
//   points     x,y pairs separated by ';'
//   compare    model ids separated by ',': those models side by side on the same points (≤ 4)
//   height     CSS pixels (default 420)
//   bands, bayes, ls, covering, heat   'on' or 'off': the 50/90% bands, the Bayes posterior of
//              the pretraining prior, least squares, the Bayes posterior had pretraining covered
//              the sampled function, the density heat map
//   truth      a family text: the true function, drawn dashed; with no `points`, `k` of its
//              points are revealed (`seed`, default 1; `sigma`, the noise, default 0)
//   vary       'alpha', 'omega' or 'k': a slider over the plot that draws the function again at
//              another α (of convex(α, f1, f2); attributes `alpha`, `f1`, `f2`), another ω (of a
//              sinusoid; attribute `omega`) or with more or fewer revealed points. For alpha and
//              omega `truth` may be left out: it follows from the slider's value.
//   readonly   (boolean) the points cannot be added, moved or removed
//   caption    a line under the demo (or an element with slot="caption" inside, for markup)
//   loading    'lazy' (default: the demo starts when it comes near the screen) or 'eager'
//
// The element hosts embed.html (next to this script) in an iframe, so the article's styles and
// the demo's never mix. All the demos of a page share two inference workers (embed.html's
// 'shared-workers' feature, lib/channel.js): the wasm module is compiled once and each model
// downloaded once, whatever the number of demos. The parts `frame`, `caption` and `note` can
// be styled from the article (`incontext-demo::part(frame)`).
//
// Across sites: the host must send `Access-Control-Allow-Origin` for this script (browsers
// fetch module scripts with CORS; README "Embedding"). Put a plain <iframe> of embed.html
// inside the element as its fallback: it shows wherever this script cannot run, and is removed
// once it does. If the demo inside does not report that it started within READY_MS, the
// element says so under the frame, with a link to open it directly.

import { convexFamily, sinusoidAt, DEFAULT_CONVEX } from './lib/families.js';

const EMBED_URL = new URL('./embed.html', import.meta.url);
const READY_MS = 20000;
/** How far from the screen a lazy demo starts loading. */
const NEAR = '400px 0px';

/** Boolean view options: attribute → hash key. */
const FLAGS = ['bands', 'bayes', 'ls', 'covering', 'heat'];
/** Numbers passed on as they are (embed.html validates them): attribute → hash key. */
const NUMBERS = { seed: 'seed', sigma: 'sigma', k: 'k', alpha: 'alpha', omega: 'omega' };
const VARY = ['alpha', 'omega', 'k'];

/** Only what a number can hold travels; embed.html validates the rest. */
const numberText = (v) => v.replace(/[^0-9eE.+-]/g, '');

/** 'on' / 'off' (also true/false, 1/0, yes/no) as '1' / '0'; null for anything else. */
function flagText(v) {
  const t = v.trim().toLowerCase();
  if (['on', 'true', '1', 'yes', ''].includes(t)) return '1';
  if (['off', 'false', '0', 'no'].includes(t)) return '0';
  return null;
}

/** The hash of embed.html for the element's attributes (`get(name)`: the value or null). */
export function demoHash(get) {
  const parts = [];
  const model = get('model');
  if (model) parts.push(`model=${encodeURIComponent(model.trim())}`);
  const points = get('points');
  if (points) parts.push(`pts=${points.replace(/[^0-9eE.+\-,;]/g, '')}`);
  const compare = get('compare');
  if (compare) parts.push(`compare=${compare.split(',').map((id) => encodeURIComponent(id.trim())).filter(Boolean).join(',')}`);
  for (const name of FLAGS) {
    const v = get(name);
    const flag = v === null ? null : flagText(v);
    if (flag !== null) parts.push(`${name}=${flag}`);
  }
  const vary = get('vary')?.trim();
  let truth = get('truth')?.trim();
  if (!truth && vary === 'alpha') {
    truth = convexFamily(Number(get('alpha') ?? 0.5), get('f1')?.trim() || DEFAULT_CONVEX[0], get('f2')?.trim() || DEFAULT_CONVEX[1]);
  } else if (!truth && vary === 'omega') {
    truth = sinusoidAt(Number(get('omega') ?? 1.5));
  }
  if (truth) {
    parts.push(`truth=${encodeURIComponent(truth)}`);
    if (get('seed') === null) parts.push('seed=1');
  }
  for (const [name, key] of Object.entries(NUMBERS)) {
    const v = get(name);
    if (v !== null && (name !== 'seed' || truth)) parts.push(`${key}=${numberText(v)}`);
  }
  for (const name of ['f1', 'f2']) {
    const v = get(name);
    if (v) parts.push(`${name}=${encodeURIComponent(v.trim())}`);
  }
  if (vary && VARY.includes(vary)) parts.push(`vary=${vary}`);
  if (get('readonly') !== null) parts.push('ro=1');
  return parts.join('&');
}

// Under Node (the unit tests import demoHash) there is no DOM: the element is not defined.
const Base = globalThis.HTMLElement ?? class {};

class IncontextDemo extends Base {
  static get observedAttributes() {
    return ['model', 'points', 'height', 'compare', ...FLAGS, 'truth', ...Object.keys(NUMBERS), 'f1', 'f2', 'vary', 'readonly', 'caption', 'loading'];
  }

  connectedCallback() {
    if (!this.shadowRoot) {
      const root = this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = [
        ':host{display:block}',
        'iframe{display:block;box-sizing:border-box;width:100%;border:1px solid #d1d9e0;border-radius:8px;background:transparent}',
        'p{font:0.85rem/1.4 system-ui,sans-serif;margin:4px 0}',
        '.note{color:#a40e26}',
        '.caption{color:inherit;opacity:0.8}',
        '.caption:not(.filled){display:none}',
      ].join(' ');
      this.frame = document.createElement('iframe');
      this.frame.setAttribute('part', 'frame');
      this.frame.loading = 'eager'; // the element itself waits until the demo is near the screen
      this.caption = document.createElement('p');
      this.caption.className = 'caption';
      this.caption.setAttribute('part', 'caption');
      const slot = document.createElement('slot');
      slot.name = 'caption';
      slot.addEventListener('slotchange', () => this.#showCaption());
      this.captionText = document.createTextNode('');
      slot.append(this.captionText);
      this.caption.append(slot);
      this.captionSlot = slot;
      this.note = document.createElement('p');
      this.note.className = 'note';
      this.note.setAttribute('part', 'note');
      this.note.hidden = true;
      this.note.setAttribute('role', 'status');
      root.append(style, this.frame, this.caption, this.note);
      this.onMessage = ({ source, data }) => {
        if (source !== this.frame.contentWindow || data?.type !== 'incontext-ready') return;
        clearTimeout(this.timer);
        this.note.hidden = true;
        this.dataset.ready = 'true';
        this.dispatchEvent(new Event('ready'));
      };
    }
    // The fallback iframe of README's snippet is not needed once the element runs.
    this.querySelectorAll(':scope > iframe').forEach((f) => f.remove());
    window.addEventListener('message', this.onMessage);
    this.#update();
  }

  disconnectedCallback() {
    window.removeEventListener('message', this.onMessage);
    this.observer?.disconnect();
    this.observer = null;
    clearTimeout(this.timer);
  }

  attributeChangedCallback() {
    if (this.frame) this.#update();
  }

  /** The embed's URL for the current attributes. */
  get src() {
    const hash = demoHash((name) => this.getAttribute(name));
    return `${EMBED_URL.href}${hash ? `#${hash}` : ''}`;
  }

  /** Says under the frame that the demo did not start, and links to it. */
  #notStarted() {
    const link = document.createElement('a');
    link.href = this.frame.src;
    link.target = '_blank';
    link.rel = 'noopener';
    link.textContent = 'open the demo directly';
    this.note.replaceChildren(
      `The demo from ${EMBED_URL.origin} did not start within ${READY_MS / 1000} s (offline, blocked, or a browser without WebAssembly?): `,
      link,
      '.',
    );
    this.note.hidden = false;
  }

  #showCaption() {
    this.captionText.data = this.getAttribute('caption') ?? '';
    const slotted = this.captionSlot.assignedNodes().length > 0;
    this.caption.classList.toggle('filled', slotted || this.captionText.data !== '');
    this.frame.title = this.getAttribute('caption') || (slotted ? this.captionSlot.assignedNodes().map((n) => n.textContent).join(' ').trim() : '') || 'incontext: in-context learning demo';
  }

  #update() {
    const height = Number.parseInt(this.getAttribute('height') ?? '', 10);
    this.frame.style.height = `${Number.isFinite(height) && height >= 150 && height <= 4000 ? height : 420}px`;
    this.#showCaption();
    if (this.getAttribute('loading') === 'eager' || this.started) this.#start();
    else this.#whenNear();
  }

  /** Starts a lazy demo once it comes within NEAR of the screen. */
  #whenNear() {
    if (this.observer) return;
    this.observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      this.observer.disconnect();
      this.observer = null;
      this.#start();
    }, { rootMargin: NEAR });
    this.observer.observe(this);
  }

  /** Points the frame at the demo (a new hash on the same document only changes its state). */
  #start() {
    this.started = true;
    this.observer?.disconnect();
    this.observer = null;
    const src = this.src;
    if (this.frame.src === src) return;
    const reload = this.frame.src.split('#')[0] !== src.split('#')[0];
    this.frame.src = src;
    if (reload) {
      delete this.dataset.ready;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.dataset.ready !== 'true' && this.#notStarted(), READY_MS);
    }
  }
}

if (globalThis.customElements && !customElements.get('incontext-demo')) customElements.define('incontext-demo', IncontextDemo);
