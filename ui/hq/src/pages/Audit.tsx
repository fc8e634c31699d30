// Audit log: who did what and when, newest first, filtered by user and
// action, paged with the hub's `next_before` cursor.

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { AuditPage as AuditAnswer } from "../api/pending";
import { Badge, Card, DataTable, ErrorBanner, PageHeader, useAsync, useSession } from "../components/ui";
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

/** The free-JSON detail of an entry as one line. */
export function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return "";
  if (typeof detail === "string") return detail;
  if (typeof detail === "object" && Object.keys(detail).length === 0) return "";
  return JSON.stringify(detail);
}

export function AuditPage() {
  const { t, lang } = useSession();
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
              {a}
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
            { key: "at", label: t("common.time"), render: (e) => formatDateTime(e.at_ms, lang) },
            { key: "user", label: t("audit.user"), render: (e) => e.username ?? "—" },
            { key: "action", label: t("audit.action"), render: (e) => <Badge tone={e.action === "login.failed" ? "bad" : "info"}>{e.action}</Badge> },
            { key: "target", label: t("audit.target"), render: (e) => <span class="mono small">{e.target ?? ""}</span> },
            { key: "detail", label: t("audit.detail"), render: (e) => <span class="small mono">{detailText(e.detail)}</span> },
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
