// Styles shared by the shadow roots: panels, buttons, chips, numbers. Colours come from the theme's custom
// properties (index.html), which pierce shadow roots.
import { css } from 'lit';

export const shared = css`
  :host {
    font: inherit;
    color: var(--fg);
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .panel {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 10px;
    padding: 14px 16px;
    min-width: 0;
  }
  .panel-head {
    display: flex;
    align-items: baseline;
    gap: 8px;
    margin: 0 0 10px;
  }
  h2,
  h3 {
    font-size: 13px;
    font-weight: 600;
    letter-spacing: 0.02em;
    text-transform: uppercase;
    color: var(--muted);
    margin: 0;
  }
  .note {
    color: var(--muted);
    font-size: 12px;
  }
  .num {
    font-variant-numeric: tabular-nums;
    text-align: right;
    white-space: nowrap;
  }
  button,
  input,
  select {
    font: inherit;
    color: inherit;
  }
  .btn {
    border: 1px solid var(--border);
    background: var(--surface);
    border-radius: 6px;
    padding: 3px 9px;
    font-size: 12px;
    cursor: pointer;
    color: var(--muted);
  }
  .btn:hover {
    color: var(--fg);
    border-color: var(--muted);
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
  }
  .chip {
    border: 1px solid var(--border);
    background: transparent;
    border-radius: 999px;
    padding: 3px 10px;
    font-size: 12px;
    cursor: pointer;
    color: var(--muted);
    display: inline-flex;
    align-items: center;
    gap: 6px;
  }
  .chip[aria-pressed='true'] {
    background: var(--chip-on);
    color: var(--fg);
    border-color: var(--muted);
  }
  .swatch {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 2px;
    flex: none;
  }
  :focus-visible {
    outline: 2px solid var(--accent);
    outline-offset: 2px;
  }
  .empty {
    color: var(--muted);
    padding: 24px;
    text-align: center;
    font-size: 13px;
  }
  .neg {
    color: var(--neg);
  }
  .high {
    color: var(--spike);
    font-weight: 600;
  }
  .delta {
    color: var(--muted);
    font-size: 10px;
  }
  .grid {
    display: grid;
    gap: 14px;
  }
`;
