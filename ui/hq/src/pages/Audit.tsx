// Audit log: who did what and when, newest first, filtered by user and
// action, paged with the hub's `next_before` cursor.

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { AuditPage as AuditAnswer } from "../api/types/AuditPage";
import { Badge, Card, DataTable, ErrorBanner, PageHeader, useAsync, useCode, useSession } from "../components/ui";
import { formatDateTime } from "../format";

const ACTIONS = [
  "login.failed",
  "login.ok",
  "store.create",
  "enrolment_code.create",
  "till.revoke",
  "till.command",
  "user.create",
  "user.update",
  "product.create",
  "product.update",
  "product.import",
  "price_rule.create",
  "price_rule.cancel",
  "stock.adjust",
  "stocktake.create",
  "member.create",
];

/**
 * The free-JSON detail of an entry as one readable line: `key: value` pairs,
 * times (`*_ms`) as dates, nested values as compact JSON.
 */
export function detailText(detail: unknown, when: (ms: number) => string = (ms) => new Date(ms).toISOString()): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (typeof detail !== "object" || Array.isArray(detail)) return JSON.stringify(detail);
  return Object.entries(detail as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => {
      if (k.endsWith("_ms") && typeof v === "number") return `${k.slice(0, -3)}: ${when(v)}`;
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return `${k}: ${v}`;
      return `${k}: ${JSON.stringify(v)}`;
    })
    .join(" · ");
}

/** A target naming many things (`A,B,C,…`): the first few and how many more. */
export function shortTarget(target: string, keep = 3): { text: string; more: number } {
  const parts = target.split(",").filter(Boolean);
  if (parts.length <= keep) return { text: target, more: 0 };
  return { text: parts.slice(0, keep).join(", "), more: parts.length - keep };
}

export function AuditPage() {
  const { t, lang } = useSession();
  const code = useCode();
  const [user, setUser] = useState("");
  const [action, setAction] = useState("");
  const [cursors, setCursors] = useState<(string | number)[]>([]);
  const before = cursors[cursors.length - 1];
  const page = useAsync((signal) => api.get<AuditAnswer>("/audit", { user, action, before, limit: 50 }, signal), [user, action, before]);
  return (
    <div data-testid="page-audit">
      <PageHeader title={t("nav.audit")} sub={t("audit.subtitle")} />
      <div class="filters filters-bar">
        <input
          placeholder={t("audit.user")}
          value={user}
          onChange={(e) => {
            setCursors([]);
            setUser(e.currentTarget.value.trim());
          }}
        />
        <select
          value={action}
          onChange={(e) => {
            setCursors([]);
            setAction(e.currentTarget.value);
          }}
          aria-label={t("audit.action")}
        >
          <option value="">{t("audit.all_actions")}</option>
          {ACTIONS.map((a) => (
            <option key={a} value={a}>
              {code("action", a)}
            </option>
          ))}
        </select>
      </div>
      <ErrorBanner error={page.error} />
      <Card>
        <DataTable
          testid="audit"
          rows={page.data?.entries}
          loading={page.loading}
          rowKey={(e) => String(e.id)}
          columns={[
            { key: "at", label: t("common.time"), render: (e) => <span class="nowrap">{formatDateTime(e.at_ms, lang)}</span> },
            { key: "user", label: t("audit.user"), render: (e) => e.username || "—" },
            {
              key: "action",
              label: t("audit.action"),
              render: (e) => (
                <Badge tone={e.action === "login.failed" ? "bad" : "info"} title={e.action}>
                  {code("action", e.action)}
                </Badge>
              ),
            },
            {
              key: "target",
              label: t("audit.target"),
              render: (e) => {
                const s = shortTarget(e.target ?? "");
                return (
                  <span class="mono small audit-target" title={e.target ?? ""}>
                    {s.text}
                    {s.more > 0 && <span class="muted"> {t("audit.more", { n: s.more })}</span>}
                  </span>
                );
              },
            },
            {
              key: "detail",
              label: t("audit.detail"),
              render: (e) => {
                const text = detailText(e.detail, (ms) => formatDateTime(ms, lang));
                return (
                  <span class="small audit-detail" title={text}>
                    {text}
                  </span>
                );
              },
            },
          ]}
        />
        <div class="pager">
          <span />
          <div class="btn-group">
            <button type="button" class="btn btn-sm" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              ‹ {t("audit.newer")}
            </button>
            <button
              type="button"
              class="btn btn-sm"
              disabled={!page.data?.next_before}
              onClick={() => page.data?.next_before && setCursors([...cursors, page.data.next_before])}
            >
              {t("audit.older")} ›
            </button>
          </div>
        </div>
      </Card>
    </div>
  );
}
