// The message bar under the plot: errors, warnings and notes, one per key (what they are about),
// each dismissable, some with a button that fixes what they say. Setting a message to the text
// it already shows changes nothing, so screen readers do not hear it again.

export class Messages {
  /** @param {HTMLElement | null} box  where the messages are listed (null: kept, not drawn) */
  constructor(box) {
    this.box = box;
    this.entries = new Map(); // key → {text, kind, action}
  }

  /**
   * Shows (or with text '' clears) the message of `key`; `kind`: error | warning | note;
   * `action` ({label, run}) adds a button that fixes what the message is about. Returns whether
   * anything changed.
   */
  show(key, text, kind = 'error', action = null) {
    const old = this.entries.get(key);
    if (text ? old?.text === text && old?.kind === kind : !old) return false;
    if (text) this.entries.set(key, { text, kind, action });
    else this.entries.delete(key);
    if (this.box) this.#draw();
    return true;
  }

  /** Whether a message of `key` is shown. */
  has(key) {
    return this.entries.has(key);
  }

  #draw() {
    this.box.replaceChildren();
    for (const [key, m] of this.entries) {
      const p = document.createElement('p');
      p.className = `msg ${m.kind}`;
      p.dataset.key = key;
      p.textContent = m.text;
      if (m.action) {
        const fix = document.createElement('button');
        fix.type = 'button';
        fix.className = 'fix';
        fix.textContent = m.action.label;
        fix.addEventListener('click', () => {
          this.show(key, '');
          m.action.run();
        });
        p.append(' ', fix);
      }
      const close = document.createElement('button');
      close.type = 'button';
      close.className = 'dismiss';
      close.setAttribute('aria-label', 'Dismiss message');
      close.textContent = '×';
      close.addEventListener('click', () => this.show(key, ''));
      p.append(' ', close);
      this.box.append(p);
    }
  }
}
