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

const EMBED_URL = new URL('./embed.html', import.meta.url);

class IncontextDemo extends HTMLElement {
  static get observedAttributes() {
    return ['model', 'points', 'height', 'compare'];
  }

  connectedCallback() {
    if (!this.shadowRoot) {
      const root = this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = ':host{display:block} iframe{display:block;box-sizing:border-box;width:100%;border:1px solid #d1d9e0;border-radius:8px}';
      this.frame = document.createElement('iframe');
      this.frame.title = 'incontext: in-context learning demo';
      this.frame.loading = 'lazy';
      root.append(style, this.frame);
    }
    this.#update();
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
    if (this.frame.src !== src) this.frame.src = src;
  }
}

if (!customElements.get('incontext-demo')) customElements.define('incontext-demo', IncontextDemo);
