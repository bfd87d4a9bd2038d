// <nem-table>: a sortable table (click or Enter on a header), optionally grouped (e.g. region → fuel) with
// collapsible subtotal rows, and a CSV download of exactly the rows and columns shown.
import { LitElement, html, css, nothing, type TemplateResult } from 'lit';
import { shared } from '../styles.ts';
import { downloadText, toCsv } from '../csv.ts';
import './nem-about.ts';

export type Row = Record<string, unknown>;
export interface TableColumn {
  key: string;
  label: string;
  numeric?: boolean;
  /** Cell content; defaults to String(value). */
  format?: (value: unknown, row: Row) => string | TemplateResult;
  /** Sort value when it differs from the cell value. */
  sortValue?: (row: Row) => number | string | null;
}
export interface Grouping {
  /** Keys to group by, outermost first. */
  by: string[];
  /** Subtotal row for a group's rows; the group's label goes in the first column. */
  total: (rows: Row[]) => Row;
  /** Display name of a group value (e.g. NSW1 → New South Wales). */
  label?: (key: string, value: string) => string;
  /** Order of group values (e.g. region order); unknown values sort after. */
  order?: Record<string, readonly string[]>;
}

interface Node {
  id: string;
  label: string;
  level: number;
  row: Row;
  children: Node[] | null;
}

export class NemTable extends LitElement {
  static override properties = {
    heading: { type: String },
    note: { type: String },
    about: { type: String },
    columns: { attribute: false },
    rows: { attribute: false },
    grouping: { attribute: false },
    csvName: { type: String },
    sortKey: { type: String },
    sortDir: { type: Number },
    loading: { type: Boolean, reflect: true },
    _collapsed: { state: true },
  };
  declare heading: string;
  declare note: string;
  /** How the data is computed (the kind's `about`), behind an ⓘ beside the heading. */
  declare about: string;
  declare columns: TableColumn[];
  declare rows: Row[] | null;
  declare grouping: Grouping | null;
  declare csvName: string;
  declare sortKey: string;
  declare sortDir: 1 | -1;
  declare loading: boolean;
  declare _collapsed: ReadonlySet<string>;

  constructor() {
    super();
    this.heading = '';
    this.note = '';
    this.about = '';
    this.columns = [];
    this.rows = null;
    this.grouping = null;
    this.csvName = 'table';
    this.sortKey = '';
    this.sortDir = -1;
    this.loading = false;
    this._collapsed = new Set();
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
      }
      .scroll {
        overflow: auto;
        max-height: var(--table-max-height, none);
      }
      :host([loading]) table {
        opacity: 0.55;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: 13px;
      }
      th {
        position: sticky;
        top: 0;
        background: var(--surface);
        font-weight: 600;
        color: var(--muted);
        font-size: 12px;
        text-align: left;
        padding: 6px 8px;
        border-bottom: 1px solid var(--border);
        cursor: pointer;
        user-select: none;
        white-space: nowrap;
      }
      th.num {
        text-align: right;
      }
      th[aria-sort='ascending']::after {
        content: ' ▲';
      }
      th[aria-sort='descending']::after {
        content: ' ▼';
      }
      td {
        padding: 5px 7px;
        border-bottom: 1px solid var(--border-soft);
      }
      td.num,
      td:first-child {
        white-space: nowrap;
      }
      tr.group td {
        font-weight: 600;
        background: var(--group-bg);
      }
      tr.group.l1 td {
        background: transparent;
      }
      tr.group td:first-child {
        cursor: pointer;
      }
      .toggle {
        display: inline-block;
        width: 1em;
        color: var(--muted);
      }
      tbody tr:not(.group):hover td {
        background: var(--hover);
      }
    `,
  ];

  override render() {
    return html`<section class="panel" aria-label=${this.heading}>
      <div class="panel-head">
        <h3>${this.heading}</h3>
        ${this.about ? html`<nem-about text=${this.about}></nem-about>` : nothing}
        ${this.note ? html`<span class="note">${this.note}</span>` : nothing}
        <span style="flex:1"></span>
        <button class="btn" title="Download this table as CSV" ?disabled=${!this.rows?.length} @click=${this.downloadCsv}>CSV</button>
      </div>
      ${
        this.rows === null
          ? html`<div class="empty" role="status">Loading…</div>`
          : this.rows.length === 0
            ? html`<div class="empty" role="status">No rows for this selection</div>`
            : html`<div class="scroll">
              <table>
                <thead>
                  <tr>${this.columns.map((c) => this.header(c))}</tr>
                </thead>
                <tbody>
                  ${this.flatten(this.tree()).map((n) => this.row(n))}
                </tbody>
              </table>
            </div>`
      }
    </section>`;
  }

  private header(c: TableColumn) {
    const sort = this.sortKey === c.key ? (this.sortDir === 1 ? 'ascending' : 'descending') : 'none';
    return html`<th class=${c.numeric ? 'num' : ''} scope="col" tabindex="0" aria-sort=${sort} @click=${() => this.sortBy(c)} @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), this.sortBy(c))}>${c.label}</th>`;
  }

  private sortBy(c: TableColumn): void {
    if (this.sortKey === c.key) this.sortDir = this.sortDir === 1 ? -1 : 1;
    else {
      this.sortKey = c.key;
      this.sortDir = c.numeric ? -1 : 1;
    }
  }

  private row(n: Node) {
    const cells = this.columns.map((c, i) => {
      const v = i === 0 && n.children ? n.label : n.row[c.key];
      const content =
        i === 0 && n.children ? v : c.format ? c.format(v, n.row) : v === null || v === undefined ? '–' : String(v);
      const toggle =
        i === 0 && n.children
          ? html`<span class="toggle" aria-hidden="true">${this._collapsed.has(n.id) ? '▸' : '▾'}</span>`
          : nothing;
      const indent = i === 0 ? `padding-left:${8 + n.level * 16}px` : '';
      return html`<td class=${c.numeric ? 'num' : ''} style=${indent} @click=${i === 0 && n.children ? () => this.collapse(n.id) : null}>${toggle}${content}</td>`;
    });
    return html`<tr class=${n.children ? `group l${n.level}` : ''} aria-expanded=${n.children ? String(!this._collapsed.has(n.id)) : nothing}>${cells}</tr>`;
  }

  private collapse(id: string): void {
    const next = new Set(this._collapsed);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this._collapsed = next;
  }

  private compare = (a: Row, b: Row): number => {
    const col = this.columns.find((c) => c.key === this.sortKey);
    if (!col) return 0;
    const va = col.sortValue ? col.sortValue(a) : (a[col.key] as number | string | null);
    const vb = col.sortValue ? col.sortValue(b) : (b[col.key] as number | string | null);
    if (va === vb) return 0;
    if (va === null || va === undefined) return 1; // blanks last either way
    if (vb === null || vb === undefined) return -1;
    return (va < vb ? -1 : 1) * this.sortDir;
  };

  private tree(): Node[] {
    const rows = this.rows ?? [];
    const g = this.grouping;
    const build = (rs: Row[], level: number, prefix: string): Node[] => {
      if (!g || level >= g.by.length)
        return [...rs]
          .sort(this.compare)
          .map((row, i) => ({ id: `${prefix}/${i}`, label: '', level, row, children: null }));
      const key = g.by[level];
      const groups = new Map<string, Row[]>();
      for (const r of rs) {
        const v = String(r[key]);
        if (!groups.has(v)) groups.set(v, []);
        groups.get(v)!.push(r);
      }
      const order = g.order?.[key];
      const nodes = [...groups].map(([label, members]) => {
        const id = `${prefix}/${label}`;
        return {
          id,
          label: g.label?.(key, label) ?? label,
          level,
          row: g.total(members),
          children: build(members, level + 1, id),
        };
      });
      // Outer groups keep their natural order (NSW1…TAS1); inner ones follow the chosen sort.
      if (order && level === 0) nodes.sort((a, b) => rank(order, a.id.slice(1)) - rank(order, b.id.slice(1)));
      else nodes.sort((a, b) => this.compare(a.row, b.row));
      return nodes;
    };
    return build(rows, 0, '');
  }

  private flatten(nodes: Node[], out: Node[] = [], all = false): Node[] {
    for (const n of nodes) {
      out.push(n);
      if (n.children && (all || !this._collapsed.has(n.id))) this.flatten(n.children, out, all);
    }
    return out;
  }

  private downloadCsv(): void {
    const leaves = this.flatten(this.tree(), [], true).filter((n) => !n.children);
    const raw = (v: unknown) => (Array.isArray(v) ? v.join(' ') : v);
    downloadText(
      `${this.csvName}.csv`,
      toCsv(
        this.columns.map((c) => c.label),
        leaves.map((n) => this.columns.map((c) => raw(n.row[c.key]))),
      ),
    );
  }
}

function rank(order: readonly string[], v: string): number {
  const i = order.indexOf(v);
  return i < 0 ? order.length : i;
}
customElements.define('nem-table', NemTable);

declare global {
  interface HTMLElementTagNameMap {
    'nem-table': NemTable;
  }
}
