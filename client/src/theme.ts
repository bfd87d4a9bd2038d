// Light/dark theme: follows prefers-color-scheme until the user picks one; the choice is remembered.
// Charts draw on canvas, so they read colours from here and redraw on the `nem-theme` window event.
export type ThemeChoice = 'auto' | 'light' | 'dark';
const KEY = 'nemlive.theme';

export interface Palette {
  muted: string;
  grid: string;
}

let choice: ThemeChoice = 'auto';
let palette: Palette = { muted: '#5f6b7a', grid: 'rgba(0,0,0,0.07)' };
const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

export function currentPalette(): Palette {
  return palette;
}

/** The theme in effect (auto resolved). */
export function effectiveTheme(): 'light' | 'dark' {
  if (choice !== 'auto') return choice;
  return media?.matches ? 'dark' : 'light';
}

export function setTheme(next: ThemeChoice): void {
  choice = next;
  try {
    if (next === 'auto') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only, which is fine.
  }
  apply();
}

function apply(): void {
  document.documentElement.dataset.theme = effectiveTheme();
  const css = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  palette = { muted: read('--muted', palette.muted), grid: read('--grid', palette.grid) };
  window.dispatchEvent(new Event('nem-theme'));
}

export function initTheme(): void {
  try {
    const stored = localStorage.getItem(KEY);
    if (stored === 'light' || stored === 'dark') choice = stored;
  } catch {
    choice = 'auto';
  }
  media?.addEventListener('change', () => choice === 'auto' && apply());
  apply();
}
