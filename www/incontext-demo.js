// <incontext-demo> — the demo inside an article:
//
//   <script type="module" src="https://your.host/incontext/incontext-demo.js"></script>
//   <incontext-demo model="linear+sinusoid" points="-1,0.5;0,0.2;1.2,-0.4" height="420"></incontext-demo>
//   <incontext-demo compare="linear,linear+sinusoid" points="…"></incontext-demo>
//
// Attributes: `model` (an id from models/manifest.json; default: the manifest's default),
// `points` (x,y pairs separated by ';'), `height` (CSS pixels, default 420), `compare` (model ids
// separated by ',': those models side by side on the same points, up to four). The element
// hosts embed.html (next to this script) in an iframe, so the page's styles and the demo's
// never mix and the inference worker runs in its own document.
//
// Across sites: the host must send `Access-Control-Allow-Origin` for this script (browsers
// fetch module scripts with CORS; README "Embedding"). Put a plain <iframe> of embed.html
// inside the element as its fallback: it shows wherever this script cannot run, and is removed
// once it does. If the demo inside does not report that it started within READY_MS, the
// element says so under the frame, with a link to open it directly.

const EMBED_URL = new URL('./embed.html', import.meta.url);
const READY_MS = 20000;

class IncontextDemo extends HTMLElement {
  static get observedAttributes() {
    return ['model', 'points', 'height', 'compare'];
  }

  connectedCallback() {
    if (!this.shadowRoot) {
      const root = this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = ':host{display:block} iframe{display:block;box-sizing:border-box;width:100%;border:1px solid #d1d9e0;border-radius:8px} p{font:0.85rem/1.4 system-ui,sans-serif;color:#a40e26;margin:4px 0}';
      this.frame = document.createElement('iframe');
      this.frame.title = 'incontext: in-context learning demo';
      this.frame.loading = 'lazy';
      this.note = document.createElement('p');
      this.note.hidden = true;
      this.note.setAttribute('role', 'status');
      root.append(style, this.frame, this.note);
      this.onMessage = ({ source, data }) => {
        if (source !== this.frame.contentWindow || data?.type !== 'incontext-ready') return;
        clearTimeout(this.timer);
        this.note.hidden = true;
        this.dataset.ready = 'true';
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
    clearTimeout(this.timer);
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

  attributeChangedCallback() {
    if (this.frame) this.#update();
  }

  #update() {
    const height = Number.parseInt(this.getAttribute('height') ?? '', 10);
    this.frame.style.height = `${Number.isFinite(height) && height >= 150 && height <= 4000 ? height : 420}px`;
    const parts = [];
    const model = this.getAttribute('model');
    if (model) parts.push(`model=${encodeURIComponent(model)}`);
    const points = this.getAttribute('points');
    // Only digits, signs, dots, exponents and the separators travel; embed.html validates the rest.
    if (points) parts.push(`pts=${points.replace(/[^0-9eE.+\-,;]/g, '')}`);
    const compare = this.getAttribute('compare');
    if (compare) parts.push(`compare=${compare.split(',').map((id) => encodeURIComponent(id.trim())).join(',')}`);
    const src = `${EMBED_URL.href}${parts.length ? `#${parts.join('&')}` : ''}`;
    if (this.frame.src !== src) {
      // A new hash on the same document only changes the running demo's state.
      const reload = this.frame.src.split('#')[0] !== src.split('#')[0];
      this.frame.src = src;
      if (reload) {
        delete this.dataset.ready;
        clearTimeout(this.timer);
        this.#watch();
      }
    }
  }

  /** Starts the READY_MS clock once the (lazily loaded) frame is on screen. */
  #watch() {
    this.observer?.disconnect();
    this.observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      this.observer.disconnect();
      if (this.dataset.ready !== 'true') this.timer = setTimeout(() => this.#notStarted(), READY_MS);
    });
    this.observer.observe(this);
  }
}

if (!customElements.get('incontext-demo')) customElements.define('incontext-demo', IncontextDemo);
