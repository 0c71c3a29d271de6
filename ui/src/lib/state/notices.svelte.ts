// The notice at the foot of the window: one short message at a time. It goes away by itself
// (5 s, or 10 s when it offers Undo), and the pointer resting on it holds it. A problem (what
// the catalogue refused, outside any form) is different: it stays at the top of the content
// until it is dismissed or the next successful load clears it.

export const NOTICE_MS = 5_000;
export const NOTICE_WITH_UNDO_MS = 10_000;

export type Notice = { text: string; undo: boolean };

export class Notices {
  /** What is shown, or null. */
  current = $state<Notice | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Shows `text` (with an Undo button when `undo`), replacing whatever was shown. */
  notify(text: string, undo = false) {
    this.current = { text, undo };
    this.hold(false);
  }

  /** Holds the notice while the pointer is on it; lets it go again when it leaves. */
  hold(held: boolean) {
    clearTimeout(this.#timer);
    const shown = this.current;
    if (!held && shown) {
      this.#timer = setTimeout(() => {
        if (this.current === shown) this.current = null;
      }, shown.undo ? NOTICE_WITH_UNDO_MS : NOTICE_MS);
    }
  }

  /** The problem banner's text, or null. */
  problem = $state<string | null>(null);

  /** Shows a problem at the top of the content until it is dismissed or cleared. */
  fail(text: string) {
    this.problem = text;
  }

  /** Takes the problem banner away. */
  clearProblem() {
    this.problem = null;
  }

  /** Takes the notice away now. */
  dismiss() {
    clearTimeout(this.#timer);
    this.current = null;
  }
}

/** The window's notices. */
export const notices = new Notices();
