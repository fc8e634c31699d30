// Requests: the inbox of requests and complaints raised in the stores'
// chats, across stores (a store manager: their own), filtered by status,
// store and category, moved forward here, live as stores raise them and as
// anyone moves them.

import { useEffect, useState } from "preact/hooks";

import "../chat/chat.css";
import type { Ticket } from "../api/types/Ticket";
import { chatApi } from "../chat/api";
import { TICKET_CATEGORIES, TICKET_STATUSES, upsertTicket } from "../chat/logic";
import { TicketActions } from "../components/chat/TicketActions";
import { Card, DataTable, ErrorBanner, PageHeader, dynKey, useCode, useSession, useStoreNames } from "../components/ui";
import { formatDateTime } from "../format";
import { live } from "../live/socket";
import { navigate, setQuery, useRoute } from "../router";

export function TicketsPage() {
  const { me, t, lang } = useSession();
  const code = useCode();
  const route = useRoute();
  const names = useStoreNames();
  const ownStore = me.role === "store_manager" ? me.store : null;
  const status = route.query.get("status") ?? "open";
  const filters = {
    status: status === "all" ? "" : status,
    store: ownStore ?? route.query.get("store") ?? "",
    category: route.query.get("category") ?? "",
  };
  const [rows, setRows] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = `${filters.status}|${filters.store}|${filters.category}`;

  useEffect(() => {
    let stop = false;
    setRows(null);
    const load = () =>
      chatApi.tickets({ status: filters.status || undefined, store: filters.store || null, category: filters.category || undefined }).then(
        (list) => {
          if (stop) return;
          setRows(list);
          setError(null);
        },
        (e: unknown) => !stop && setError(e),
      );
    void load();
    const off = live.subscribe((e) => {
      if (e.type === "ticket_update") {
        setRows((list) => (list ? upsertTicket(list, e.ticket, filters) : list));
      } else if ((e.type === "chat_message" && e.message.kind === "ticket") || e.type === "lagged") {
        void load();
      }
    });
    return () => {
      stop = true;
      off();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const moved = (ticket: Ticket) => setRows((list) => (list ? upsertTicket(list, ticket, filters) : list));

  return (
    <div data-testid="page-tickets">
      <PageHeader title={t("nav.tickets")} sub={t("tickets.subtitle")} />
      <div class="filters filters-bar">
        <select name="status" aria-label={t("tickets.status")} value={status} onChange={(e) => setQuery({ status: e.currentTarget.value })}>
          <option value="all">{t("tickets.all_statuses")}</option>
          {TICKET_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(dynKey(`chat.status.${s}`))}
            </option>
          ))}
        </select>
        {!ownStore && (
          <select name="store" aria-label={t("common.store")} value={filters.store} onChange={(e) => setQuery({ store: e.currentTarget.value })}>
            <option value="">{t("common.all_stores")}</option>
            {[...names.entries()].map(([c, n]) => (
              <option key={c} value={c}>
                {c} {n}
              </option>
            ))}
          </select>
        )}
        <select name="category" aria-label={t("common.category")} value={filters.category} onChange={(e) => setQuery({ category: e.currentTarget.value })}>
          <option value="">{t("tickets.all_categories")}</option>
          {TICKET_CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {code("chat.category", c)}
            </option>
          ))}
        </select>
      </div>
      <ErrorBanner error={error} />
      <Card>
        <DataTable
          testid="tickets"
          rows={rows}
          loading={rows === null}
          rowKey={(x) => x.id}
          empty={t("tickets.none")}
          columns={[
            { key: "store", label: t("common.store"), render: (x) => <span><strong class="mono">{x.store}</strong> {x.store_name}</span> },
            { key: "cat", label: t("common.category"), render: (x) => code("chat.category", x.category) },
            { key: "text", label: t("tickets.request"), render: (x) => <span class="ticket-text" title={x.text}>{x.text}</span> },
            { key: "by", label: t("tickets.raised_by"), render: (x) => x.display_name },
            { key: "at", label: t("tickets.raised"), render: (x) => formatDateTime(x.written_at_ms, lang) },
            {
              key: "upd",
              label: t("tickets.updated"),
              render: (x) => (x.updated_at_ms !== null ? `${formatDateTime(x.updated_at_ms, lang)}${x.updated_by ? ` · ${x.updated_by}` : ""}` : "—"),
            },
            { key: "status", label: t("tickets.status"), render: (x) => <TicketActions ticket={x.id} status={x.status} onMoved={moved} /> },
            {
              key: "chat",
              label: "",
              align: "right",
              render: (x) => (
                <button type="button" class="btn btn-sm btn-ghost" onClick={() => navigate(`/chat?channel=${encodeURIComponent(`store:${x.store}`)}`)}>
                  {t("tickets.open_chat")}
                </button>
              ),
            },
          ]}
        />
      </Card>
    </div>
  );
}
