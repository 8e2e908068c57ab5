// The interactive plot: an SVG for axes, curves, bands and points over a canvas for the
// density heat map. The reader adds points (click/tap), drags them, deletes them (right-click,
// long-press, Delete key) and does all of it from the keyboard (arrows move a crosshair or the
// focused point, Enter adds, Delete removes). On a touch screen a swipe over the plot scrolls
// the page (touch-action: pan-y) and only a tap adds a point; touching a point and moving drags
// it (a non-passive touchmove listener cancels the scroll while a point is held).

const SVG = 'http://www.w3.org/2000/svg';

/** Whether the reader's last input was a key (crosshair and focus ring) or a pointer (neither). */
let keyboardModality = false;
document.addEventListener('keydown', () => (keyboardModality = true), true);
document.addEventListener('pointerdown', () => (keyboardModality = false), true);
const MARGIN = { left: 46, right: 12, top: 10, bottom: 34 };
const EDIT_LABEL = 'Context points. Click or tap to add a point, drag to move it, right-click or long-press to delete it. ' +
  'Keyboard: arrows move the crosshair, Enter adds a point, Tab reaches points, arrows move a point, Delete removes it.';
const LONG_PRESS_MS = 550;
const TAP_SLOP_PX = 10; // a touch that moves further is a swipe, not a tap

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo, hi, count = 6) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function fmt(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

export class Plot {
  /**
   * @param {HTMLElement} root  container (gets a canvas and an svg)
   * @param {{onEdit: (points: number[][], final: boolean) => void, onCursor?: (text: string) => void}} hooks
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.points = [];
    this.domain = { x0: -3, x1: 3, y0: -3, y1: 3 };
    this.layers = {};
    this.cursor = null; // keyboard crosshair in display units
    this.drag = null;
    this.labels = { x: 'x', y: 'y' };
    this.readOnly = false; // setReadOnly: the points are shown, not edited
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'heat';
    this.canvas.setAttribute('aria-hidden', 'true');
    this.svg = el('svg', {
      class: 'plot-svg',
      tabindex: '0',
      role: 'application',
      'aria-roledescription': 'interactive plot',
      'aria-label': EDIT_LABEL,
    });
    root.append(this.canvas, this.svg);
    const clipId = `plot-clip-${Math.random().toString(36).slice(2)}`;
    this.clip = el('rect', {}, el('clipPath', { id: clipId }, el('defs', {}, this.svg)));
    for (const name of ['grid', 'axes', 'band90', 'band50', 'bayes', 'covering', 'truth', 'ls', 'mean', 'points', 'cursor']) {
      this.layers[name] = el('g', { class: `layer-${name}` }, this.svg);
      if (!['grid', 'axes', 'points'].includes(name)) this.layers[name].setAttribute('clip-path', `url(#${clipId})`);
    }
    this.#bindEvents();
    this.resizeObserver = new ResizeObserver(() => this.#resize());
    this.resizeObserver.observe(root);
    this.#resize();
  }

  // --- geometry -----------------------------------------------------------------------------

  #resize() {
    const r = this.root.getBoundingClientRect();
    this.width = Math.max(200, Math.round(r.width));
    this.height = Math.max(160, Math.round(r.height));
    this.svg.setAttribute('viewBox', `0 0 ${this.width} ${this.height}`);
    this.svg.setAttribute('width', this.width);
    this.svg.setAttribute('height', this.height);
    const dpr = window.devicePixelRatio || 1;
    const pw = this.width - MARGIN.left - MARGIN.right;
    const ph = this.height - MARGIN.top - MARGIN.bottom;
    Object.assign(this.canvas.style, { left: `${MARGIN.left}px`, top: `${MARGIN.top}px`, width: `${pw}px`, height: `${ph}px` });
    Object.entries({ x: MARGIN.left, y: MARGIN.top, width: pw, height: ph }).forEach(([k, v]) => this.clip.setAttribute(k, v));
    this.canvas.width = Math.round(pw * dpr);
    this.canvas.height = Math.round(ph * dpr);
    this.render(this.last ?? {});
  }

  sx(x) {
    const { x0, x1 } = this.domain;
    return MARGIN.left + ((x - x0) / (x1 - x0)) * (this.width - MARGIN.left - MARGIN.right);
  }

  sy(y) {
    const { y0, y1 } = this.domain;
    return MARGIN.top + ((y1 - y) / (y1 - y0)) * (this.height - MARGIN.top - MARGIN.bottom);
  }

  invert(px, py) {
    const { x0, x1, y0, y1 } = this.domain;
    const x = x0 + ((px - MARGIN.left) / (this.width - MARGIN.left - MARGIN.right)) * (x1 - x0);
    const y = y1 - ((py - MARGIN.top) / (this.height - MARGIN.top - MARGIN.bottom)) * (y1 - y0);
    return [x, y];
  }

  #clampToDomain([x, y]) {
    const { x0, x1, y0, y1 } = this.domain;
    return [Math.min(x1, Math.max(x0, x)), Math.min(y1, Math.max(y0, y))];
  }

  #eventPoint(event) {
    const r = this.svg.getBoundingClientRect();
    return this.#clampToDomain(this.invert(event.clientX - r.left, event.clientY - r.top));
  }

  /** The query inputs (display units) at which curves are drawn: `count` evenly spaced. */
  queryXs(count) {
    const { x0, x1 } = this.domain;
    return Array.from({ length: count }, (_, i) => x0 + ((x1 - x0) * i) / (count - 1));
  }

  // --- editing ------------------------------------------------------------------------------

  /**
   * Read-only (an article's prepared demo): clicks, drags, keys and the context menu no longer
   * edit the points, which are then neither focusable nor announced as editable.
   */
  setReadOnly(readOnly) {
    if (this.readOnly === readOnly) return;
    this.readOnly = readOnly;
    this.drag = null;
    this.tap = null;
    this.cursor = null;
    this.svg.classList.toggle('read-only', readOnly);
    if (readOnly) {
      this.svg.setAttribute('tabindex', '-1');
      this.svg.setAttribute('role', 'img');
      this.svg.setAttribute('aria-roledescription', 'plot');
      this.svg.setAttribute('aria-label', 'Context points and the predictions from them (read-only).');
    } else {
      this.svg.setAttribute('tabindex', '0');
      this.svg.setAttribute('role', 'application');
      this.svg.setAttribute('aria-roledescription', 'interactive plot');
      this.svg.setAttribute('aria-label', EDIT_LABEL);
    }
    this.#drawPoints();
    this.#drawCursor();
  }

  setPoints(points) {
    this.points = points.map((p) => [...p]);
    this.#drawPoints();
  }

  #edit(final) {
    this.#drawPoints();
    this.hooks.onEdit(this.points.map((p) => [...p]), final);
  }

  #bindEvents() {
    const svg = this.svg;
    svg.addEventListener('contextmenu', (e) => {
      if (this.readOnly) return;
      const i = this.#pointIndex(e.target);
      e.preventDefault();
      if (i >= 0) {
        this.points.splice(i, 1);
        this.#edit(true);
      }
    });
    svg.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || this.readOnly) return;
      if (e.pointerType !== 'mouse' && this.#pointIndex(e.target) < 0) {
        // Touch on the background: a tap adds a point, a swipe is the browser's scroll.
        this.tap = { pointerId: e.pointerId, x: e.clientX, y: e.clientY, at: this.#eventPoint(e) };
        return;
      }
      e.preventDefault();
      svg.focus({ preventScroll: true });
      let i = this.#pointIndex(e.target);
      const added = i < 0;
      if (added) {
        this.points.push(this.#eventPoint(e));
        i = this.points.length - 1;
        this.#edit(false);
      }
      try {
        svg.setPointerCapture(e.pointerId);
      } catch {
        // A pointer that is no longer active (or a synthetic one) cannot be captured.
      }
      const timer =
        e.pointerType !== 'mouse' && !added
          ? setTimeout(() => {
              this.points.splice(i, 1);
              this.drag = null;
              this.#edit(true);
            }, LONG_PRESS_MS)
          : null;
      this.drag = { i, pointerId: e.pointerId, timer, startX: e.clientX, startY: e.clientY, moved: added };
    });
    svg.addEventListener('pointermove', (e) => {
      if (this.tap?.pointerId === e.pointerId && Math.hypot(e.clientX - this.tap.x, e.clientY - this.tap.y) > TAP_SLOP_PX) this.tap = null;
      const d = this.drag;
      if (!d || d.pointerId !== e.pointerId) return;
      if (Math.hypot(e.clientX - d.startX, e.clientY - d.startY) > 4) {
        clearTimeout(d.timer);
        d.moved = true;
      }
      if (!d.moved) return;
      this.points[d.i] = this.#eventPoint(e);
      this.#edit(false);
    });
    const end = (e) => {
      const tap = this.tap;
      this.tap = null;
      if (e.type === 'pointerup' && tap?.pointerId === e.pointerId && Math.hypot(e.clientX - tap.x, e.clientY - tap.y) <= TAP_SLOP_PX) {
        this.points.push(tap.at);
        this.#edit(true);
        return;
      }
      const d = this.drag;
      if (!d || d.pointerId !== e.pointerId) return;
      clearTimeout(d.timer);
      this.drag = null;
      if (d.moved) this.#edit(true);
    };
    // Pointer events come first: a drag is set when its touch events arrive.
    const holdPoint = (e) => {
      if (this.drag) e.preventDefault();
    };
    svg.addEventListener('touchstart', holdPoint, { passive: false });
    svg.addEventListener('touchmove', holdPoint, { passive: false });
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener('keydown', (e) => {
      if (this.readOnly) return;
      this.#key(e);
      this.#drawCursor();
    });
    svg.addEventListener('focus', () => {
      if (this.readOnly) return;
      if (!this.cursor) this.cursor = [(this.domain.x0 + this.domain.x1) / 2, (this.domain.y0 + this.domain.y1) / 2];
      this.#drawCursor();
    });
    svg.addEventListener('blur', () => this.#drawCursor());
  }

  #pointIndex(target) {
    const i = target?.dataset?.index;
    return i === undefined ? -1 : Number(i);
  }

  #key(e) {
    const focused = this.#pointIndex(document.activeElement);
    const { x0, x1, y0, y1 } = this.domain;
    const step = e.shiftKey ? 0.1 : 0.02;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (e.key in moves) {
      e.preventDefault();
      const [mx, my] = moves[e.key];
      const delta = (p) => this.#clampToDomain([p[0] + mx * step * (x1 - x0), p[1] + my * step * (y1 - y0)]);
      if (focused >= 0) {
        this.points[focused] = delta(this.points[focused]);
        this.#edit(true);
        this.#focusPoint(focused);
      } else {
        this.cursor = delta(this.cursor ?? [0, 0]);
        this.#drawCursor();
      }
    } else if ((e.key === 'Enter' || e.key === ' ') && focused < 0) {
      e.preventDefault();
      this.points.push([...(this.cursor ?? [0, 0])]);
      this.#edit(true);
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && focused >= 0) {
      e.preventDefault();
      this.points.splice(focused, 1);
      this.#edit(true);
      if (this.points.length) this.#focusPoint(Math.min(focused, this.points.length - 1));
      else this.svg.focus();
    } else if (e.key === 'Escape' && focused >= 0) {
      this.svg.focus();
    }
  }

  #focusPoint(i) {
    this.layers.points.querySelector(`[data-index="${i}"]`)?.focus();
  }

  // --- drawing ------------------------------------------------------------------------------

  #drawCursor() {
    const g = this.layers.cursor;
    g.replaceChildren();
    // Keyboard focus only: a click or tap focuses the plot too, but then needs no crosshair.
    const show = document.activeElement === this.svg && keyboardModality && this.cursor;
    this.svg.classList.toggle('keyboard-focus', Boolean(show));
    if (!show) {
      this.hooks.onCursor?.('');
      return;
    }
    const [cx, cy] = this.cursor;
    el('line', { x1: this.sx(cx), x2: this.sx(cx), y1: MARGIN.top, y2: this.height - MARGIN.bottom, class: 'cursor' }, g);
    el('line', { y1: this.sy(cy), y2: this.sy(cy), x1: MARGIN.left, x2: this.width - MARGIN.right, class: 'cursor' }, g);
    this.hooks.onCursor?.(`crosshair at x = ${fmt(cx)}, y = ${fmt(cy)}; Enter adds a point`);
  }

  #drawPoints() {
    const g = this.layers.points;
    const focused = this.#pointIndex(document.activeElement);
    g.replaceChildren();
    this.points.forEach(([x, y], i) => {
      const outside = x < this.domain.x0 || x > this.domain.x1 || y < this.domain.y0 || y > this.domain.y1;
      const c = el(
        'circle',
        {
          cx: this.sx(x),
          cy: this.sy(y),
          r: 6,
          class: `point${outside ? ' clipped' : ''}${this.used && !this.used.has(i) ? ' unused' : ''}`,
          'data-index': i,
        },
        g,
      );
      if (!this.readOnly) {
        c.setAttribute('tabindex', '0');
        c.setAttribute('role', 'button');
        c.setAttribute('aria-label', `point ${i + 1}: x = ${fmt(x)}, y = ${fmt(y)}${this.used && !this.used.has(i) ? ' (not in the context)' : ''}. Arrows move it, Delete removes it.`);
      }
      if (outside) c.setAttribute('r', 4);
    });
    if (focused >= 0 && focused < this.points.length) this.#focusPoint(focused);
  }

  #line(g, xs, ys, cls) {
    let d = '';
    for (let i = 0; i < xs.length; i += 1) {
      if (!Number.isFinite(ys[i])) continue;
      d += `${d ? 'L' : 'M'}${this.sx(xs[i]).toFixed(1)},${this.sy(ys[i]).toFixed(1)}`;
    }
    if (d) el('path', { d, class: cls }, g);
  }

  #band(g, xs, lo, hi, cls) {
    let d = '';
    for (let i = 0; i < xs.length; i += 1) d += `${i ? 'L' : 'M'}${this.sx(xs[i]).toFixed(1)},${this.sy(hi[i]).toFixed(1)}`;
    for (let i = xs.length - 1; i >= 0; i -= 1) d += `L${this.sx(xs[i]).toFixed(1)},${this.sy(lo[i]).toFixed(1)}`;
    el('path', { d: `${d}Z`, class: cls }, g);
  }

  #axes() {
    const grid = this.layers.grid;
    const axes = this.layers.axes;
    grid.replaceChildren();
    axes.replaceChildren();
    const { x0, x1, y0, y1 } = this.domain;
    const left = MARGIN.left;
    const right = this.width - MARGIN.right;
    const top = MARGIN.top;
    const bottom = this.height - MARGIN.bottom;
    const xFormat = this.labels.xFormat ?? fmt; // dates on a day axis, say
    const xSpacing = this.labels.xFormat ? 95 : 70;
    for (const t of ticks(x0, x1, Math.max(2, Math.floor((right - left) / xSpacing)))) {
      const x = this.sx(t);
      el('line', { x1: x, x2: x, y1: top, y2: bottom, class: 'grid' }, grid);
      el('text', { x, y: bottom + 14, class: 'tick', 'text-anchor': 'middle' }, axes).textContent = xFormat(t);
    }
    for (const t of ticks(y0, y1, Math.max(3, Math.floor((bottom - top) / 50)))) {
      const y = this.sy(t);
      el('line', { x1: left, x2: right, y1: y, y2: y, class: 'grid' }, grid);
      el('text', { x: left - 5, y: y + 4, class: 'tick', 'text-anchor': 'end' }, axes).textContent = fmt(t);
    }
    el('rect', { x: left, y: top, width: right - left, height: bottom - top, class: 'frame' }, axes);
    el('text', { x: (left + right) / 2, y: this.height - 4, class: 'axis-label', 'text-anchor': 'middle' }, axes).textContent = this.labels.x;
    const yl = el('text', { x: 12, y: (top + bottom) / 2, class: 'axis-label', 'text-anchor': 'middle' }, axes);
    yl.setAttribute('transform', `rotate(-90 12 ${(top + bottom) / 2})`);
    yl.textContent = this.labels.y;
  }

  /**
   * Draws the density heat map from bin probabilities `[Q, K]` and borders `[K + 1]`: one image
   * column per query, one row per device pixel, opacity ∝ sqrt(density / max density) over the
   * inner bins (the half-normal end bins are left blank), scaled smoothly onto the plot area.
   */
  #heat(xs, probs, borders) {
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!xs || !probs || !borders || xs.length < 2) return;
    const q = xs.length;
    const k = borders.length - 1;
    const rows = this.canvas.height;
    if (rows < 1) return;
    const density = new Float64Array(q * k);
    let max = 0;
    for (let i = 0; i < q; i += 1) {
      for (let j = 1; j < k - 1; j += 1) {
        const d = probs[i * k + j] / (borders[j + 1] - borders[j]);
        density[i * k + j] = d;
        if (d > max) max = d;
      }
    }
    if (!(max > 0)) return;
    // The inner bin under each pixel row (borders are shared by all queries); -1 outside them.
    const { y0, y1 } = this.domain;
    const rowBin = new Int32Array(rows);
    for (let r = 0; r < rows; r += 1) {
      const y = y1 - ((r + 0.5) / rows) * (y1 - y0);
      let lo = 0;
      let hi = k; // first border > y, by bisection
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (borders[mid] <= y) lo = mid + 1;
        else hi = mid;
      }
      const bin = lo - 1;
      rowBin[r] = bin >= 1 && bin <= k - 2 ? bin : -1;
    }
    const [red, green, blue] = (getComputedStyle(this.root).getPropertyValue('--heat').trim() || '37,99,235').split(',').map(Number);
    const image = new ImageData(q, rows);
    for (let r = 0; r < rows; r += 1) {
      const bin = rowBin[r];
      if (bin < 0) continue;
      for (let i = 0; i < q; i += 1) {
        const o = (r * q + i) * 4;
        image.data[o] = red;
        image.data[o + 1] = green;
        image.data[o + 2] = blue;
        image.data[o + 3] = Math.round(255 * 0.8 * Math.sqrt(density[i * k + bin] / max));
      }
    }
    const off = new OffscreenCanvas(q, rows);
    off.getContext('2d').putImageData(image, 0, 0);
    const dpr = this.canvas.width / Math.max(1, this.width - MARGIN.left - MARGIN.right);
    const half = (this.sx(xs[1]) - this.sx(xs[0])) / 2;
    const left = (this.sx(xs[0]) - half - MARGIN.left) * dpr;
    const right = (this.sx(xs[q - 1]) + half - MARGIN.left) * dpr;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, q, rows, left, 0, right - left, rows);
  }

  /**
   * Redraws everything. `view`: {domain, labels, model, bayes, covering, ls (summaries in
   * display units, each with its query inputs `xs`), truth: {xs, ys} | null, show: {bands,
   * heat, ls, bayes, covering}, used: Set of the point indices in the context (others are
   * drawn hollow; absent: all)}. `covering` is the Bayes posterior that knows the true family.
   */
  render(view) {
    this.last = view;
    this.used = view.used ?? null;
    if (view.domain) this.domain = view.domain;
    if (view.labels) this.labels = view.labels;
    this.#axes();
    for (const name of ['band90', 'band50', 'bayes', 'covering', 'truth', 'ls', 'mean']) this.layers[name].replaceChildren();
    const { model, bayes, covering, ls, truth, show = {} } = view;
    this.#heat(model?.xs, show.heat && model ? model.probs : null, model?.borders);
    const level = (s, l) => s.quantiles.subarray(l * s.xs.length, (l + 1) * s.xs.length);
    if (model) {
      if (show.bands && model.quantiles) {
        this.#band(this.layers.band90, model.xs, level(model, 0), level(model, 4), 'band90');
        this.#band(this.layers.band50, model.xs, level(model, 1), level(model, 3), 'band50');
      }
      this.#line(this.layers.mean, model.xs, model.mean, 'mean');
    }
    for (const [name, s, on] of [['bayes', bayes, show.bayes], ['covering', covering, show.covering]]) {
      if (!s || !on) continue;
      if (show.bands && s.quantiles) {
        this.#line(this.layers[name], s.xs, level(s, 0), `${name}-band`);
        this.#line(this.layers[name], s.xs, level(s, 4), `${name}-band`);
      }
      this.#line(this.layers[name], s.xs, s.mean, `${name}-mean`);
    }
    if (ls && show.ls) this.#line(this.layers.ls, ls.xs, ls.mean, 'ls');
    if (truth) this.#line(this.layers.truth, truth.xs, truth.ys, 'truth');
    this.#drawPoints();
    this.#drawCursor();
  }
}
